"""THE policy gate (DESIGN.md invariant 1). Nothing outside this module decides who may see a
resident's data or act on a sheet.

``authorize`` answers: may this actor make this resident's data (these categories) available
to this desk, for this purpose, on this legal basis? ``authorize_action`` answers: may this
actor perform this lifecycle action on a sheet with these facts? Both return a ``Decision``
and record it in the audit log, allowed or refused, inside the caller's transaction. Callers
that refuse must let the transaction commit before raising, so the refusal stays recorded.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.consent import refusal_texts
from referral_hub.consent.categories import ALL_CATEGORIES, Basis, Category
from referral_hub.consent.models import Consent, CounterLookup, LegalBasis, Resident
from referral_hub.directory import roles
from referral_hub.directory.models import Department, Desk, Membership, Role

# Purposes where the actor receives the data as a member of ``recipient_desk``.
READ_PURPOSES = frozenset({"sheet.read", "attachment.read", "attachment.upload", "resident.read"})
# Purposes where the actor sends the data to ``recipient_desk``.
SEND_PURPOSES = frozenset({"sheet.send", "sheet.resend", "sheet.redirect", "attachment.send"})
# The sender's view of what the desk did (case notes, messages from the desk).
FEEDBACK_PURPOSE = "sheet.feedback"

# The texts of refusals live in ``refusal_texts`` (translatable, shared by the API and pages);
# re-exported here because callers know them as the gate's messages.
MESSAGES = refusal_texts.MESSAGES
PURPOSE_MESSAGES = refusal_texts.PURPOSE_MESSAGES


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str
    purpose: str
    code: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    consent_id: int | None = None
    detail: str = ""
    # The audit row that recorded this decision (pending inside ``audit.log.batched()``), so a
    # send can name the sheet it created as the row's target (``audit.log.retarget``).
    event: AuditEvent | None = field(default=None, compare=False, repr=False)

    @property
    def message(self) -> str:
        text = refusal_texts.text(self.purpose, self.code)
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class SheetFacts:
    """What the gate needs to know about a sheet, without importing the handoffs app."""

    sheet_id: int
    resident_id: int
    owner_desk_id: int
    sender_id: int
    sender_department_id: int | None
    sender_desk_id: int | None
    previous_desk_ids: frozenset[int] = frozenset()
    redirect_count: int = 0


# After this many redirects a further one needs a lead: runaround (たらい回し) is happening.
REDIRECTS_BEFORE_LEAD = 2


def _refuse(
    purpose: str,
    basis: str,
    code: str,
    categories: frozenset[str],
    detail: str = "",
    consent_id: int | None = None,
) -> Decision:
    return Decision(False, basis, purpose, code, categories, consent_id, detail)


def _actor_may_receive_for(actor: Any, desk: Desk) -> bool:
    return desk.pk in roles.desk_ids(actor)


def _check_consent(
    purpose: str,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    consent: Consent | None,
) -> Decision:
    basis = Basis.CONSENT
    if consent is None or consent.resident_id != resident.pk:
        return _refuse(purpose, basis, "consent_required", wanted)
    consent_id = consent.pk
    status = consent.status_on(timezone.localdate())
    if status == "withdrawn":
        return _refuse(purpose, basis, "consent_withdrawn", wanted, consent_id=consent_id)
    if status == "expired":
        return _refuse(purpose, basis, "consent_expired", wanted, consent_id=consent_id)
    if desk is not None and not consent.recipients.filter(pk=desk.pk).exists():
        return _refuse(purpose, basis, "consent_scope", wanted, f"desk:{desk.code}", consent_id)
    missing = sorted(wanted - set(consent.categories))
    if missing:
        return _refuse(
            purpose, basis, "consent_scope", wanted, "category:" + ",".join(missing), consent_id
        )
    return Decision(True, basis, purpose, "", wanted, consent_id)


def _check_other_basis(
    actor: Any,
    purpose: str,
    basis: str,
    desk: Desk | None,
    wanted: frozenset[str],
    justification: str,
    sender_department: Department | None,
) -> Decision:
    legal = LegalBasis.objects.filter(code=basis).first()
    if legal is None or not legal.is_active:
        return _refuse(purpose, basis, "basis_inactive", wanted)
    if (legal.requires_justification or basis != Basis.CONSENT) and not justification.strip():
        return _refuse(purpose, basis, "justification_required", wanted)
    if basis == Basis.SUPPORT_MEETING:
        # Art. 9: information may be shared without consent only among meeting members.
        if desk is not None and not desk.support_meeting_member:
            return _refuse(
                purpose, basis, "not_support_meeting_member", wanted, f"desk:{desk.code}"
            )
        if purpose in SEND_PURPOSES and not _actor_in_support_meeting(actor, sender_department):
            return _refuse(purpose, basis, "not_support_meeting_member", wanted, "sender")
    return Decision(True, basis, purpose, "", wanted)


def _actor_in_support_meeting(actor: Any, sender_department: Department | None) -> bool:
    if sender_department is not None:
        return sender_department.support_meeting_member
    desk_ids = roles.desk_ids(actor)
    return Desk.objects.filter(pk__in=desk_ids, support_meeting_member=True).exists()


def authorize(
    actor: Any,
    resident: Resident,
    recipient_desk: Desk | None,
    categories: Iterable[str],
    purpose: str,
    *,
    basis: str = Basis.CONSENT,
    consent: Consent | None = None,
    justification: str = "",
    sender_department: Department | None = None,
    target: tuple[str, int | str] | None = None,
) -> Decision:
    """Decide whether ``categories`` of ``resident``'s data may reach ``recipient_desk`` (the
    actor's desk for reads; the destination for sends), and record the decision."""
    wanted = frozenset(categories)
    unknown = wanted - ALL_CATEGORIES
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    decision = _decide(
        actor,
        resident,
        recipient_desk,
        wanted,
        purpose,
        basis,
        consent,
        justification,
        sender_department,
    )
    target_type, target_id = target if target else ("resident", resident.pk)
    details: dict[str, Any] = {"categories": sorted(wanted)}
    if recipient_desk is not None:
        details["recipient_desk"] = recipient_desk.code
    if decision.consent_id:
        details["consent"] = decision.consent_id
    if decision.detail:
        details["refusal_detail"] = decision.detail
    event = record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type=target_type,
        target_id=target_id,
        resident_id=resident.pk,
        legal_basis=decision.basis,
        allowed=decision.allowed,
        refusal_code=decision.code,
        details=details,
    )
    return replace(decision, event=event)


def _decide(
    actor: Any,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    purpose: str,
    basis: str,
    consent: Consent | None,
    justification: str,
    sender_department: Department | None,
) -> Decision:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _refuse(purpose, basis, "not_authenticated", wanted)
    if purpose in READ_PURPOSES and (desk is None or not _actor_may_receive_for(actor, desk)):
        return _refuse(purpose, basis, "not_desk_member", wanted)
    if purpose == "sheet.send":
        if not roles.has_role(actor, Role.CLERK, Role.CONSULTANT, Role.LEAD):
            return _refuse(purpose, basis, "role_not_allowed", wanted)
        if desk is not None and desk.pk in roles.desk_ids(actor):
            # A desk never refers to itself: that would turn a send into a read.
            return _refuse(purpose, basis, "self_send", wanted, f"desk:{desk.code}")
        if not relationship(actor, resident.pk):
            return _refuse(purpose, basis, "no_relationship", wanted)
    if purpose == FEEDBACK_PURPOSE:
        # Feedback beyond the bare status needs the resident's consent to it (DOMAIN.md).
        if basis != Basis.CONSENT:
            return _refuse(purpose, basis, "consent_scope", wanted, "category:feedback")
        return _check_consent(purpose, resident, None, wanted | {Category.FEEDBACK}, consent)
    if basis == Basis.CONSENT:
        return _check_consent(purpose, resident, desk, wanted, consent)
    return _check_other_basis(actor, purpose, basis, desk, wanted, justification, sender_department)


DESK_ACTIONS = frozenset(
    {
        "acknowledge",
        "accept",
        "contacted",
        "connected",
        "redirect",
        "return",
        "close",
        "desk_message",
    }
)
SENDER_ACTIONS = frozenset({"withdraw", "resend", "sender_message"})


def authorize_action(
    actor: Any,
    action: str,
    facts: SheetFacts,
    *,
    handler_id: int | None = None,
    to_desk_id: int | None = None,
) -> Decision:
    """May ``actor`` perform ``action`` on the sheet? Refusals are recorded; allowed actions are
    recorded by the service together with the state change."""
    decision = _decide_action(actor, action, facts, handler_id, to_desk_id)
    if not decision.allowed:
        record(
            f"sheet.{action}",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_desk=roles.place_label(actor),
            target_type="sheet",
            target_id=facts.sheet_id,
            resident_id=facts.resident_id,
            allowed=False,
            refusal_code=decision.code,
        )
    return decision


def _decide_action(
    actor: Any, action: str, facts: SheetFacts, handler_id: int | None, to_desk_id: int | None
) -> Decision:
    purpose = f"sheet.{action}"
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _refuse(purpose, "", "not_authenticated", frozenset())
    if action in DESK_ACTIONS:
        if facts.owner_desk_id not in roles.desk_ids(actor):
            return _refuse(purpose, "", "not_owner_desk", frozenset())
        is_lead = roles.is_lead_of(actor, facts.owner_desk_id)
        if action == "accept" and handler_id is not None and handler_id != actor.pk:
            if not is_lead:
                return _refuse(purpose, "", "lead_required", frozenset(), "assign")
            if not _is_desk_member(handler_id, facts.owner_desk_id):
                return _refuse(purpose, "", "handler_not_member", frozenset())
        if action == "redirect" and to_desk_id in facts.previous_desk_ids and not is_lead:
            # Sending a sheet back to a desk it already left is how runaround starts.
            return _refuse(purpose, "", "lead_required", frozenset(), "redirect_back")
        if action == "redirect" and facts.redirect_count >= REDIRECTS_BEFORE_LEAD and not is_lead:
            return _refuse(purpose, "", "lead_required", frozenset(), "runaround")
        return Decision(True, "", purpose)
    if action in SENDER_ACTIONS:
        # The sending side is the sending department or desk as it is now: a clerk who has
        # moved on keeps nothing, the colleague who replaced them takes over (invariant 9).
        if (
            facts.sender_department_id is not None
            and facts.sender_department_id in roles.department_ids(actor)
        ):
            return Decision(True, "", purpose)
        if facts.sender_desk_id is not None and facts.sender_desk_id in roles.desk_ids(actor):
            return Decision(True, "", purpose)
        return _refuse(purpose, "", "not_sender", frozenset())
    raise ValueError(f"unknown action {action!r}")


def _is_desk_member(user_id: int, desk_id: int) -> bool:
    return Membership.objects.filter(
        user_id=user_id,
        desk_id=desk_id,
        role__in=[Role.CONSULTANT, Role.LEAD],
        user__is_active=True,
    ).exists()


def sender_relation(actor: Any, facts: SheetFacts) -> bool:
    """Is the actor on the sending side of the sheet (the sender or a colleague of theirs)?"""
    return _decide_action(actor, "sender_message", facts, None, None).allowed


# --- what a page may offer ----------------------------------------------------------------------
# The choices a page shows come from the same decision functions the services' checks use, asked
# without recording (nothing was disclosed or refused yet); the service still asks the recording
# functions when the choice is submitted.


def redirect_targets(
    actor: Any,
    facts: SheetFacts,
    resident: Resident,
    desks: Iterable[Desk],
    *,
    categories: Iterable[str],
    basis: str,
    consent: Consent | None,
    justification: str = "",
) -> list[tuple[Desk, Decision]]:
    """For each of ``desks`` except the sheet's own, the answer a redirect there would get now:
    ``authorize_action``'s rule first (a desk the sheet left, or a third redirect, needs a lead:
    ``lead_required``), then ``authorize``'s for ``sheet.redirect`` (the consent or other legal
    basis must cover the desk: ``consent_scope`` with detail ``desk:<code>``, ...). Returns
    ``[(desk, decision)]`` in the order given; records nothing."""
    wanted = frozenset(categories)
    answers = []
    for desk in desks:
        if desk.pk == facts.owner_desk_id:
            continue
        decision = _decide_action(actor, "redirect", facts, None, desk.pk)
        if decision.allowed:
            decision = _decide(
                actor, resident, desk, wanted, "sheet.redirect", basis, consent, justification, None
            )
        answers.append((desk, decision))
    return answers


def may_upload(
    actor: Any,
    facts: SheetFacts,
    resident: Resident,
    owner_desk: Desk,
    *,
    basis: str,
    consent: Consent | None,
    justification: str = "",
) -> Decision:
    """The answer adding an attachment to the sheet would get now: the owner desk receives it
    (``attachment.upload``), the sending side sends it (``attachment.send``); either way the
    consent must cover ``attachments`` (``consent_scope``, detail ``category:attachments``).
    Records nothing (``handoffs.attachments`` asks ``authorize`` on upload)."""
    on_desk = facts.owner_desk_id in roles.desk_ids(actor)
    sender = not on_desk and sender_relation(actor, facts)
    purpose = "attachment.send" if sender else "attachment.upload"
    wanted = frozenset({Category.ATTACHMENTS.value})
    return _decide(
        actor, resident, owner_desk, wanted, purpose, basis, consent, justification, None
    )


def authorize_registration(actor: Any, purpose: str) -> Decision:
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


def authorize_evidence_read(actor: Any, consent: Consent, evidence_id: int) -> Decision:
    """The scanned signed form is opened only by privacy officers reviewing a consent."""
    purpose = "consent.evidence_read"
    allowed = getattr(actor, "is_authenticated", False) and roles.has_role(
        actor, Role.PRIVACY_OFFICER
    )
    decision = (
        Decision(True, "", purpose)
        if allowed
        else _refuse(purpose, "", "role_not_allowed", frozenset())
    )
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type="consent_evidence",
        target_id=evidence_id,
        resident_id=consent.resident_id,
        allowed=decision.allowed,
        refusal_code=decision.code,
        details={"consent": consent.pk},
    )
    return decision


def feedback_in_scope(consent: Consent | None) -> bool:
    """Did the resident agree that the referrer hears how it went (the `feedback` category)?
    Only the scope: ``authorize`` still decides each disclosure (status, expiry, withdrawal)."""
    return consent is not None and Category.FEEDBACK in consent.categories


# --- relationships (DESIGN.md invariant 9) ------------------------------------------------------
#
# Rights over a resident and their consents are derived from a relationship that exists now,
# computed from the actor's current memberships: never from who created a row, and never from an
# id alone. Refusals read the same whether or not the resident or consent exists.

# 本人確認 at a counter relates the staff member to the resident for one working day.
COUNTER_LOOKUP_VALID = datetime.timedelta(hours=9)

RESIDENT_PURPOSES = frozenset({"consent.record", "consent.list", "sheet.send"})
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


def relationship(actor: Any, resident_id: int) -> str:
    """The first current relationship between ``actor`` and the resident, or "" for none.

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


def _record_refusal(actor: Any, decision: Decision, target: tuple[str, int], resident_id: Any):
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


def refuse_unknown(actor: Any, purpose: str, target: tuple[str, int], code: str) -> Decision:
    """Refuse and record a request about an id that names nothing, with the ``code`` an
    unrelated existing object would get, so the answer does not tell which ids exist."""
    decision = _refuse(purpose, "", code, frozenset())
    _record_refusal(actor, decision, target, None)
    return decision


def _search_limit() -> int:
    return int(getattr(settings, "RESIDENT_SEARCH_PER_HOUR", 60))


def _searches_this_hour(actor: Any) -> int:
    since = timezone.now() - datetime.timedelta(hours=1)
    return AuditEvent.objects.filter(
        action="resident.search", actor_id=actor.pk, allowed=True, at__gte=since
    ).count()


def authorize_resident(actor: Any, resident_id: int, purpose: str) -> tuple[Decision, Resident]:
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
    elif resident is None or not relationship(actor, resident.pk):
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


def authorize_consent(actor: Any, consent_id: int, purpose: str) -> tuple[Decision, Consent]:
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


def _decide_consent(actor: Any, consent: Consent | None, purpose: str) -> Decision:
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
# resident's consent to feedback; a message on a withdrawn or expired consent goes nowhere.

FEEDBACK_NOT_CONSENTED = refusal_texts.FEEDBACK_NOT_CONSENTED
MESSAGE_ACTIONS = frozenset({"desk_message", "sender_message"})
# Notes the sending side always reads: the desk's reason for a return (its question to them) and
# the sending side's own notes (resend, withdrawal).
NOTES_FOR_SENDER = frozenset({"returned", "resent", "withdrawn"})
SENT_READ_PURPOSE = "sheet.sent_read"


def to_sender_refusal(action: str, basis: str, consent: Consent | None, *, to_sender: bool) -> str:
    """The code ``authorize_to_sender`` refuses with, or "" when it allows; no audit, so that
    pages can say so before the desk types (the service still asks ``authorize_to_sender``)."""
    status = consent.status_on(timezone.localdate()) if consent is not None else ""
    stale = {"withdrawn": "consent_withdrawn", "expired": "consent_expired"}.get(status, "")
    if action in MESSAGE_ACTIONS and basis == Basis.CONSENT and stale:
        return stale
    if not to_sender:
        return ""
    if basis != Basis.CONSENT or consent is None:
        return FEEDBACK_NOT_CONSENTED
    return stale or ("" if feedback_in_scope(consent) else FEEDBACK_NOT_CONSENTED)


def authorize_to_sender(
    actor: Any,
    action: str,
    facts: SheetFacts,
    *,
    basis: str,
    consent: Consent | None,
    to_sender: bool,
) -> Decision:
    """Second check, after ``authorize_action`` allowed ``action``, for a write the other side
    reads: a message (``desk_message`` / ``sender_message``) or a desk note. A message needs the
    sheet's consent to stand (``consent_withdrawn`` / ``consent_expired``); when ``to_sender``
    (the desk's message, a shared note) the consent must also cover feedback
    (``feedback_not_consented``, detail ``category:feedback``). Refusals are recorded."""
    purpose = f"sheet.{action}"
    consent_id = consent.pk if consent is not None else None
    code = to_sender_refusal(action, basis, consent, to_sender=to_sender)
    if not code:
        return Decision(True, basis, purpose, "", frozenset(), consent_id)
    detail = "category:feedback" if code == FEEDBACK_NOT_CONSENTED else ""
    decision = _refuse(purpose, basis, code, frozenset({Category.FEEDBACK}), detail, consent_id)
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type="sheet",
        target_id=facts.sheet_id,
        resident_id=facts.resident_id,
        legal_basis=basis,
        allowed=False,
        refusal_code=code,
        details={"refusal_detail": detail} if detail else {},
    )
    return decision


def sender_sees_note(kind: str, shared: bool, feedback: bool) -> bool:
    """Does a timeline note reach the sending side? ``feedback``: the gate allowed
    ``sheet.feedback`` for this reader now; ``shared``: the desk marked the note for the sender."""
    return kind in NOTES_FOR_SENDER or (shared and feedback)


def authorize_sent_read(actor: Any, facts: SheetFacts, categories: Iterable[str]) -> Decision:
    """The sending side re-reads what it sent (the story it wrote): the current sending side
    only (``sender_relation``), whatever the consent's status, because it is their own record,
    not a disclosure to someone new. Every read is recorded, allowed or refused."""
    wanted = frozenset(categories)
    if sender_relation(actor, facts):
        decision = Decision(True, "", SENT_READ_PURPOSE, "", wanted)
    else:
        decision = _refuse(SENT_READ_PURPOSE, "", "not_sender", wanted)
    record(
        SENT_READ_PURPOSE,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type="sheet",
        target_id=facts.sheet_id,
        resident_id=facts.resident_id,
        allowed=decision.allowed,
        refusal_code=decision.code,
        details={"categories": sorted(wanted)},
    )
    return decision
