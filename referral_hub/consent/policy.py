"""THE policy gate (DESIGN.md invariant 1). Nothing outside this module decides who may see a
resident's data or act on a sheet.

``authorize`` answers: may this actor make this resident's data (these categories) available
to this desk, for this purpose, on this legal basis? ``authorize_action`` answers: may this
actor perform this lifecycle action on a sheet with these facts? Both return a ``Decision``
and record it in the audit log, allowed or refused, inside the caller's transaction. Callers
that refuse must let the transaction commit before raising, so the refusal stays recorded
(``consent.refusals.gated``).

``relationships`` (who is related to a resident or consent) and ``to_sender`` (what reaches the
sending side) are parts of the gate in their own modules; every public name is re-exported here,
so callers import the gate from this module only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent import meeting_rule
from referral_hub.consent.categories import ALL_CATEGORIES, Basis, Category
from referral_hub.consent.decisions import (
    FEEDBACK_PURPOSE,
    MESSAGES,
    PURPOSE_MESSAGES,
    READ_PURPOSES,
    REDIRECTS_BEFORE_LEAD,
    SEND_PURPOSES,
    Decision,
    SheetFacts,
    _refuse,
)
from referral_hub.consent.locks import decided_on_locked_facts, share_consent
from referral_hub.consent.meeting_rule import MeetingFacts, register_meeting_source
from referral_hub.consent.models import Consent, LegalBasis, Resident
from referral_hub.consent.passage import authorize_passage, passed_desks_led_by
from referral_hub.consent.relationships import (
    CONSENT_PURPOSES,
    COUNTER_LOOKUP_VALID,
    RESIDENT_PURPOSES,
    OpenSheetPlaces,
    authorize_consent,
    authorize_registration,
    authorize_resident,
    refuse_unknown,
    register_open_sheet_places,
    relationship,
)
from referral_hub.consent.rights_hooks import suspension_refusal
from referral_hub.consent.sheet_rules import (
    DESK_ACTIONS,
    SENDER_ACTIONS,
    _decide_action,
    sender_relation,
)
from referral_hub.consent.to_sender import (
    FEEDBACK_NOT_CONSENTED,
    MESSAGE_ACTIONS,
    NOTES_FOR_SENDER,
    SENT_READ_PURPOSE,
    authorize_sent_read,
    authorize_to_sender,
    feedback_in_scope,
    sender_sees_note,
    to_sender_refusal,
)
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor
from referral_hub.directory.models import Department, Desk, Role
from referral_hub.signin import step_up

__all__ = [
    "CONSENT_PURPOSES",
    "COUNTER_LOOKUP_VALID",
    "DESK_ACTIONS",
    "FEEDBACK_NOT_CONSENTED",
    "FEEDBACK_PURPOSE",
    "MESSAGES",
    "MESSAGE_ACTIONS",
    "NOTES_FOR_SENDER",
    "PURPOSE_MESSAGES",
    "READ_PURPOSES",
    "REDIRECTS_BEFORE_LEAD",
    "RESIDENT_PURPOSES",
    "SENDER_ACTIONS",
    "SEND_PURPOSES",
    "SENT_READ_PURPOSE",
    "Decision",
    "MeetingFacts",
    "OpenSheetPlaces",
    "SheetFacts",
    "authorize",
    "authorize_action",
    "authorize_consent",
    "authorize_evidence_read",
    "authorize_passage",
    "authorize_registration",
    "authorize_resident",
    "authorize_sent_read",
    "authorize_to_sender",
    "feedback_in_scope",
    "may_upload",
    "passed_desks_led_by",
    "redirect_targets",
    "refuse_unknown",
    "register_meeting_source",
    "register_open_sheet_places",
    "relationship",
    "sender_relation",
    "sender_sees_note",
    "to_sender_refusal",
]


def _actor_may_receive_for(actor: Actor, desk: Desk) -> bool:
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
    if desk is not None and not consent.names_desk(desk.pk):
        return _refuse(purpose, basis, "consent_scope", wanted, f"desk:{desk.code}", consent_id)
    missing = sorted(wanted - set(consent.categories))
    if missing:
        return _refuse(
            purpose, basis, "consent_scope", wanted, "category:" + ",".join(missing), consent_id
        )
    return Decision(True, basis, purpose, "", wanted, consent_id)


def _check_other_basis(
    actor: Actor,
    purpose: str,
    basis: str,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    justification: str,
    support_meeting: int | None,
) -> Decision:
    legal = LegalBasis.objects.filter(code=basis).first()
    if legal is None or not legal.is_active:
        return _refuse(purpose, basis, "basis_inactive", wanted)
    if (legal.requires_justification or basis != Basis.CONSENT) and not justification.strip():
        return _refuse(purpose, basis, "justification_required", wanted)
    if basis == Basis.SUPPORT_MEETING:
        # Art. 9: only pledged members of an open meeting, about residents on its agenda.
        return meeting_rule.decide(
            actor, purpose, resident, desk, wanted, support_meeting, _check_consent
        )
    return Decision(True, basis, purpose, "", wanted)


@decided_on_locked_facts
def authorize(
    actor: Actor,
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
    support_meeting: int | None = None,
) -> Decision:
    """Decide whether ``categories`` of ``resident``'s data may reach ``recipient_desk`` (the
    actor's desk for reads; the destination for sends), and record the decision.
    ``support_meeting``: the meeting a ``support_meeting`` basis names (``meeting_rule``)."""
    wanted = frozenset(categories)
    unknown = wanted - ALL_CATEGORIES
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    if basis == Basis.CONSENT and consent is not None:
        # Decide on the consent as it is under the share lock: a withdrawal waits for this
        # decision's commit, or this decision waits for the withdrawal and sees it. A service
        # that locked it already gets its locked row back without a query.
        consent = share_consent(consent, check_constraints=False)
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
        support_meeting,
    )
    if decision.allowed:  # the other rules first: a factor cannot turn a "no" into a "yes"
        decision = step_up.refusal(actor, purpose, basis, wanted) or decision
    target_type, target_id = target if target else ("resident", resident.pk)
    details: dict[str, Any] = {"categories": sorted(wanted)}
    if recipient_desk is not None:
        details["recipient_desk"] = recipient_desk.code
    if decision.consent_id:
        details["consent"] = decision.consent_id
    if basis == Basis.SUPPORT_MEETING and support_meeting is not None:
        details["support_meeting"] = support_meeting  # the review queue names the meeting
    if decision.detail:
        details["refusal_detail"] = decision.detail
    details.update(step_up.audit_details(actor, purpose, basis, wanted))
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
    actor: Actor,
    resident: Resident,
    desk: Desk | None,
    wanted: frozenset[str],
    purpose: str,
    basis: str,
    consent: Consent | None,
    justification: str,
    sender_department: Department | None,
    support_meeting: int | None = None,
) -> Decision:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return _refuse(purpose, basis, "not_authenticated", wanted)
    if suspended := suspension_refusal(resident.pk, purpose, basis, wanted):  # 利用停止
        return suspended
    if purpose in READ_PURPOSES and (desk is None or not _actor_may_receive_for(actor, desk)):
        return _refuse(purpose, basis, "not_desk_member", wanted)
    if purpose == "sheet.send":
        if not roles.has_role(actor, Role.CLERK, Role.CONSULTANT, Role.LEAD):
            return _refuse(purpose, basis, "role_not_allowed", wanted)
        if desk is not None and desk.pk in roles.desk_ids(actor):
            # A desk never refers to itself: that would turn a send into a read.
            return _refuse(purpose, basis, "self_send", wanted, f"desk:{desk.code}")
        if not relationship(actor, resident):
            return _refuse(purpose, basis, "no_relationship", wanted)
    if purpose == FEEDBACK_PURPOSE:
        # Feedback beyond the bare status needs the resident's consent to it (DOMAIN.md).
        if basis != Basis.CONSENT:
            return _refuse(purpose, basis, "consent_scope", wanted, "category:feedback")
        return _check_consent(purpose, resident, None, wanted | {Category.FEEDBACK}, consent)
    if basis == Basis.CONSENT:
        return _check_consent(purpose, resident, desk, wanted, consent)
    return _check_other_basis(
        actor, purpose, basis, resident, desk, wanted, justification, support_meeting
    )


@decided_on_locked_facts
def authorize_action(
    actor: Actor,
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


# --- what a page may offer ----------------------------------------------------------------------
# The choices a page shows come from the same decision functions the services' checks use, asked
# without recording (nothing was disclosed or refused yet); the service still asks the recording
# functions when the choice is submitted.


def redirect_targets(
    actor: Actor,
    facts: SheetFacts,
    resident: Resident,
    desks: Iterable[Desk],
    *,
    categories: Iterable[str],
    basis: str,
    consent: Consent | None,
    justification: str = "",
    support_meeting: int | None = None,
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
                actor,
                resident,
                desk,
                wanted,
                "sheet.redirect",
                basis,
                consent,
                justification,
                None,
                support_meeting,
            )
        answers.append((desk, decision))
    return answers


def may_upload(
    actor: Actor,
    facts: SheetFacts,
    resident: Resident,
    owner_desk: Desk,
    *,
    basis: str,
    consent: Consent | None,
    justification: str = "",
    support_meeting: int | None = None,
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
        actor,
        resident,
        owner_desk,
        wanted,
        purpose,
        basis,
        consent,
        justification,
        None,
        support_meeting,
    )


@decided_on_locked_facts
def authorize_evidence_read(actor: Actor, consent: Consent, evidence_id: int) -> Decision:
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
