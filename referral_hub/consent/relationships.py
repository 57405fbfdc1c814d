"""Relationships (DESIGN.md invariant 9), part of THE policy gate (import it from
``consent.policy``): who may choose a resident, read or withdraw a consent, register or search.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.consent.categories import Basis
from referral_hub.consent.decisions import Decision, _refuse
from referral_hub.consent.locks import decided_on_locked_facts
from referral_hub.consent.models import Consent, CounterLookup, Resident
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor
from referral_hub.directory.models import Role

# --- relationships (DESIGN.md invariant 9) ------------------------------------------------------
#
# Rights over a resident and their consents are derived from a relationship that exists now,
# computed from the actor's current memberships: never from who created a row, and never from an
# id alone. Refusals read the same whether or not the resident or consent exists.

# 本人確認 at a counter relates the staff member to the resident for one working day.
COUNTER_LOOKUP_VALID = datetime.timedelta(hours=9)

RESIDENT_PURPOSES = frozenset(
    {"consent.record", "consent.list", "sheet.send", "support_meeting.case_add"}
)
CONSENT_PURPOSES = frozenset({"consent.read", "consent.withdraw", "consent.evidence_add"})


@dataclass(frozen=True)
class OpenSheetPlaces:
    """Where a resident's open sheets are: the desks that own them and the sending places."""

    owner_desk_ids: frozenset[int] = frozenset()
    sender_department_ids: frozenset[int] = frozenset()
    sender_desk_ids: frozenset[int] = frozenset()


def _no_open_sheets(resident_id: int) -> OpenSheetPlaces:
    return OpenSheetPlaces()


_open_sheet_places: Callable[[int], OpenSheetPlaces] = _no_open_sheets


def register_open_sheet_places(source: Callable[[int], OpenSheetPlaces]) -> None:
    """The handoffs app tells the gate where a resident's open sheets are (this app may not
    import it: dependencies point downward)."""
    global _open_sheet_places
    _open_sheet_places = source


def relationship(actor: Actor, resident: Resident | int) -> str:
    """The first current relationship between ``actor`` and the resident, or "" for none.

    ``resident``: the row, or its id. Given the row (read in this request), "registered" is
    decided from its registration place without another query: that place is set when the
    resident is registered and never changes (``consent.services.register_resident``).

    Kinds, in the order checked:
    - ``"registered"``: the actor's department (clerks) or desk registered the resident;
    - ``"open_sheet"``: the actor's desk owns, or their department or desk sent, an open sheet
      of the resident;
    - ``"consent"``: an active consent of the resident names the actor's desk or was recorded
      at the actor's department or desk;
    - ``"counter_lookup"``: the actor found the resident by kana and birth date in the
      duplicate search within ``COUNTER_LOOKUP_VALID``, at the place they still work.
    Privacy officers and administrators have no place and so no relationship."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return ""
    departments = roles.department_ids(actor)
    desks = roles.desk_ids(actor)
    if not departments and not desks:
        return ""
    at_place = Q(department_id__in=departments) | Q(desk_id__in=desks)
    if isinstance(resident, Resident):
        resident_id = resident.pk
        if resident.registered_department_id in departments or resident.registered_desk_id in desks:
            return "registered"
    else:
        resident_id = resident
        registered = Q(registered_department_id__in=departments) | Q(registered_desk_id__in=desks)
        if Resident.objects.filter(registered, pk=resident_id).exists():
            return "registered"
    sheets = _open_sheet_places(resident_id)
    if (
        sheets.owner_desk_ids & desks
        or sheets.sender_department_ids & departments
        or sheets.sender_desk_ids & desks
    ):
        return "open_sheet"
    active = Consent.objects.filter(
        resident_id=resident_id, withdrawn_at__isnull=True, valid_until__gte=timezone.localdate()
    )
    if active.filter(_consent_place(departments, desks)).exists():
        return "consent"
    lookups = CounterLookup.objects.filter(
        at_place,
        user_id=actor.pk,
        resident_id=resident_id,
        at__gte=timezone.now() - COUNTER_LOOKUP_VALID,
    )
    if lookups.exists():
        return "counter_lookup"
    return ""


def _consent_place(departments: set[int], desks: set[int]) -> Q:
    return (
        Q(recipients__in=desks)
        | Q(recorded_department_id__in=departments)
        | Q(recorded_desk_id__in=desks)
    )


def _record_refusal(actor: Actor, decision: Decision, target: tuple[str, int], resident_id: Any):
    record(
        decision.purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type=target[0],
        target_id=target[1],
        resident_id=resident_id,
        allowed=False,
        refusal_code=decision.code,
    )


def refuse_unknown(actor: Actor, purpose: str, target: tuple[str, int], code: str) -> Decision:
    """Refuse and record a request about an id that names nothing, with the ``code`` an
    unrelated existing object would get, so the answer does not tell which ids exist."""
    decision = _refuse(purpose, "", code, frozenset())
    _record_refusal(actor, decision, target, None)
    return decision


def _search_limit() -> int:
    return int(getattr(settings, "RESIDENT_SEARCH_PER_HOUR", 60))


def _searches_this_hour(actor: Actor) -> int:
    since = timezone.now() - datetime.timedelta(hours=1)
    return AuditEvent.objects.filter(
        action="resident.search", actor_id=actor.pk, allowed=True, at__gte=since
    ).count()


@decided_on_locked_facts
def authorize_resident(actor: Actor, resident_id: int, purpose: str) -> tuple[Decision, Resident]:
    """May ``actor`` choose this resident for ``purpose`` (``RESIDENT_PURPOSES``)? Returns the
    decision and, when allowed, the resident. Refusals are recorded; an unknown id is refused
    exactly like a resident the actor has no relationship with (403 ``no_relationship``), so
    the answer reveals nothing. ``consent.list`` is allowed to privacy officers as well."""
    if purpose not in RESIDENT_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    resident = Resident.objects.filter(pk=resident_id).first()
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        decision = _refuse(purpose, "", "not_authenticated", frozenset())
    elif purpose == "consent.list" and roles.has_role(actor, Role.PRIVACY_OFFICER):
        decision = Decision(True, "", purpose)
    elif not roles.has_role(actor, Role.CLERK, Role.CONSULTANT, Role.LEAD):
        decision = _refuse(purpose, "", "role_not_allowed", frozenset())
    elif resident is None or not relationship(actor, resident):
        decision = _refuse(purpose, "", "no_relationship", frozenset())
    else:
        decision = Decision(True, "", purpose)
    if not decision.allowed:
        _record_refusal(actor, decision, ("resident", resident_id), resident and resident.pk)
    elif purpose == "consent.list" and resident is not None:
        # The list discloses consents' purposes and witnesses: the read is recorded, like
        # ``consent.read``. (Sends and recordings are recorded by their services.)
        record(
            purpose,
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="resident",
            target_id=resident.pk,
            resident_id=resident.pk,
            legal_basis=Basis.CONSENT,
        )
    return decision, resident  # type: ignore[return-value]


@decided_on_locked_facts
def authorize_consent(actor: Actor, consent_id: int, purpose: str) -> tuple[Decision, Consent]:
    """May ``actor`` read a consent, record its withdrawal or add its signed form?

    - ``consent.read`` and ``consent.withdraw``: the consent names the actor's desk or was
      recorded at the actor's place, or the actor has a ``relationship`` with the resident (a
      resident who asks at any counter to withdraw is found by search first, then served);
      the privacy officer may do both (a withdrawal received in writing).
    - ``consent.evidence_add``: only the place that recorded the consent, and not once it is
      withdrawn (``consent_withdrawn``).
    An unknown id is refused like an unrelated one (403 ``no_relationship``), except for the
    privacy officer, who may see every consent and so learns nothing from a 404: the caller
    turns an allowed decision without a consent into 404. Refusals and allowed reads are
    recorded."""
    if purpose not in CONSENT_PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    consent = Consent.objects.filter(pk=consent_id).first()
    decision = _decide_consent(actor, consent, purpose)
    resident_id = consent.resident_id if consent else None
    if not decision.allowed:
        _record_refusal(actor, decision, ("consent", consent_id), resident_id)
    elif purpose == "consent.read" and consent is not None:
        record(
            purpose,
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="consent",
            target_id=consent.pk,
            resident_id=resident_id,
            legal_basis=Basis.CONSENT,
        )
    return decision, consent  # type: ignore[return-value]


def _decide_consent(actor: Actor, consent: Consent | None, purpose: str) -> Decision:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _refuse(purpose, "", "not_authenticated", frozenset())
    if roles.has_role(actor, Role.PRIVACY_OFFICER) and purpose != "consent.evidence_add":
        return Decision(True, "", purpose)
    if consent is None:
        return _refuse(purpose, "", "no_relationship", frozenset())
    departments = roles.department_ids(actor)
    desks = roles.desk_ids(actor)
    if purpose == "consent.evidence_add":
        recorded_here = (consent.recorded_department_id in departments) or (
            consent.recorded_desk_id in desks
        )
        if not recorded_here:
            return _refuse(purpose, "", "not_consent_place", frozenset(), consent_id=consent.pk)
        if consent.withdrawn_at is not None:
            return _refuse(purpose, "", "consent_withdrawn", frozenset(), consent_id=consent.pk)
        return Decision(True, "", purpose, consent_id=consent.pk)
    named_or_recorded = Consent.objects.filter(_consent_place(departments, desks), pk=consent.pk)
    if named_or_recorded.exists() or relationship(actor, consent.resident_id):
        return Decision(True, "", purpose, consent_id=consent.pk)
    return _refuse(purpose, "", "no_relationship", frozenset())


# --- what reaches the sending side (DOMAIN.md: feedback to the referrer is minimal) -----------
# By default the sender hears the fact of involvement, the status and the outcome. Anything the
# desk writes for the sender (a message, a note marked 「送った職員に伝える」) needs the


@decided_on_locked_facts
def authorize_registration(actor: Actor, purpose: str) -> Decision:
    """Registering a resident or searching for one happens at a counter or desk: clerks,
    consultation staff and leads only (not privacy officers or administrators). What the
    actor may then do with a resident follows from ``relationship``."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        decision = _refuse(purpose, "", "not_authenticated", frozenset())
    elif not roles.has_role(actor, Role.CLERK, Role.CONSULTANT, Role.LEAD):
        decision = _refuse(purpose, "", "role_not_allowed", frozenset())
    elif purpose == "resident.search" and _searches_this_hour(actor) >= _search_limit():
        # Each search may reveal and relate residents: a steady stream of them is enumeration,
        # not a counter at work (RESIDENT_SEARCH_PER_HOUR).
        decision = _refuse(purpose, "", "search_limit", frozenset())
    else:
        return Decision(True, "", purpose)
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        allowed=False,
        refusal_code=decision.code,
    )
    return decision
