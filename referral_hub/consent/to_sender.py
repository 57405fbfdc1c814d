"""What reaches the sending side, part of THE policy gate (import it from ``consent.policy``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent import refusal_texts
from referral_hub.consent.categories import Basis, Category
from referral_hub.consent.decisions import Decision, SheetFacts, _refuse
from referral_hub.consent.locks import decided_on_locked_facts
from referral_hub.consent.models import Consent
from referral_hub.consent.sheet_rules import sender_relation
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor


def feedback_in_scope(consent: Consent | None) -> bool:
    """Did the resident agree that the referrer hears how it went (the `feedback` category)?
    Only the scope: ``authorize`` still decides each disclosure (status, expiry, withdrawal)."""
    return consent is not None and Category.FEEDBACK in consent.categories


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


@decided_on_locked_facts
def authorize_to_sender(
    actor: Actor,
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


@decided_on_locked_facts
def authorize_sent_read(actor: Actor, facts: SheetFacts, categories: Iterable[str]) -> Decision:
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
