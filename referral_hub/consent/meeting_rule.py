"""The support-meeting rule (支援会議), part of THE policy gate (import it from ``consent.policy``).

生活困窮者自立支援法 第9条 (and 社会福祉法 第106条の6, 児童福祉法 第25条の2) lets the members of a
support meeting share a resident's information without consent: named members, bound by a
statutory duty of confidentiality, discussing named cases. A disclosure on the
``support_meeting`` basis therefore names a meeting and is allowed only when

- the meeting is open: not closed and ``now <= access_until`` (``support_meeting_closed``);
- the actor is a member who signed the confidentiality pledge (``pledge_required``, detail
  ``actor``);
- the recipient desk (the destination of a send or redirect, the reading desk of a read) is
  represented by a pledged member who still works there (``pledge_required``, detail
  ``desk:<code>``);
- the resident is on the meeting's agenda (``not_on_agenda``).

A send without a meeting, naming no meeting that exists, or naming a meeting the actor is not a
current member of (any purpose but a read), is refused with ``support_meeting_required`` and the same detail
(``meeting:<id>``): only members learn that a meeting is closed or lacks their pledge.

Sheets sent on this basis before meetings existed carry no meeting. They stay readable under
the rule they were sent with: the reading desk must be flagged ``support_meeting_member``
(``not_support_meeting_member``). Anything that would disclose them again (a redirect, an
attachment sent on) needs a meeting like a new send.

The gate may not import the meetings app (dependencies point downward), so the meetings app
registers where the facts of a meeting come from (``register_meeting_source``), as the
handoffs app registers open sheets for ``relationships``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from referral_hub.consent.categories import Basis
from referral_hub.consent.decisions import READ_PURPOSES, Decision, _refuse
from referral_hub.consent.models import Consent, Resident
from referral_hub.directory.actors import Actor
from referral_hub.directory.models import Desk


@dataclass(frozen=True)
class MeetingFacts:
    """What the gate needs to know about one support meeting, as it is now."""

    meeting_id: int
    closed: bool
    access_until: datetime.datetime
    pledged_user_ids: frozenset[int]
    pledged_desk_ids: frozenset[int]
    agenda_resident_ids: frozenset[int]
    # Staff members (pledged or not) who still work at the place they represent.
    member_user_ids: frozenset[int] = frozenset()

    def is_open(self, now: datetime.datetime) -> bool:
        return not self.closed and now <= self.access_until


def _no_meetings(meeting_id: int) -> MeetingFacts | None:
    return None


_meeting_source: Callable[[int], MeetingFacts | None] = _no_meetings


def register_meeting_source(source: Callable[[int], MeetingFacts | None]) -> None:
    """The meetings app tells the gate where a meeting's facts come from."""
    global _meeting_source
    _meeting_source = source


def meeting_facts(meeting_id: int | None) -> MeetingFacts | None:
    return _meeting_source(meeting_id) if meeting_id is not None else None


ConsentCheck = Callable[[str, Resident, "Desk | None", frozenset[str], "Consent | None"], Decision]


def decide(
    actor: Actor,
    purpose: str,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    meeting_id: int | None,
    check_consent: ConsentCheck,
) -> Decision:
    """The answer on the support-meeting basis (see the module docstring). ``check_consent`` is
    the gate's consent rule: a read refused because the meeting ended is still allowed when an
    active consent of the resident covers the reading desk (the remaining basis)."""
    basis = Basis.SUPPORT_MEETING
    if meeting_id is None:
        if purpose in READ_PURPOSES and desk is not None:
            if desk.support_meeting_member:
                return Decision(True, basis, purpose, "", wanted)
            return _refuse(
                purpose, basis, "not_support_meeting_member", wanted, f"desk:{desk.code}"
            )
        return _refuse(purpose, basis, "support_meeting_required", wanted)
    facts = meeting_facts(meeting_id)
    detail = f"meeting:{meeting_id}"
    if facts is None:
        return _refuse(purpose, basis, "support_meeting_required", wanted, detail)
    if purpose not in READ_PURPOSES and actor.pk not in facts.member_user_ids:
        # Someone who names a meeting they are not a current member of learns nothing of it:
        # the same answer as for an id that does not exist. (A read names the meeting its
        # sheet was sent under, so the reader chooses no id and the codes below stay.)
        return _refuse(purpose, basis, "support_meeting_required", wanted, detail)
    if not facts.is_open(timezone.now()):
        refusal = _refuse(purpose, basis, "support_meeting_closed", wanted, detail)
        return _remaining_basis(purpose, resident, desk, wanted, check_consent) or refusal
    if actor.pk not in facts.pledged_user_ids:
        return _refuse(purpose, basis, "pledge_required", wanted, "actor")
    if desk is not None and desk.pk not in facts.pledged_desk_ids:
        return _refuse(purpose, basis, "pledge_required", wanted, f"desk:{desk.code}")
    if resident.pk not in facts.agenda_resident_ids:
        return _refuse(purpose, basis, "not_on_agenda", wanted, detail)
    return Decision(True, basis, purpose, "", wanted)


def _remaining_basis(
    purpose: str,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    check_consent: ConsentCheck,
) -> Decision | None:
    """After the meeting's access ends, a desk still reads what an active consent covers."""
    if purpose not in READ_PURPOSES or desk is None:
        return None
    today = timezone.localdate()
    candidates = Consent.objects.filter(
        resident_id=resident.pk,
        recipients=desk,
        withdrawn_at__isnull=True,
        valid_until__gte=today,
    ).order_by("-recorded_at")
    for consent in candidates:
        decision = check_consent(purpose, resident, desk, wanted, consent)
        if decision.allowed:
            return decision
    return None
