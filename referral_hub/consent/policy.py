"""THE policy gate (DESIGN.md invariant 1). Nothing outside this module decides who may see a
resident's data or act on a sheet.

``authorize`` answers: may this actor make this resident's data (these categories) available
to this desk, for this purpose, on this legal basis? ``authorize_action`` answers: may this
actor perform this lifecycle action on a sheet with these facts? Both return a ``Decision``
and record it in the audit log, allowed or refused, inside the caller's transaction. Callers
that refuse must let the transaction commit before raising, so the refusal stays recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent.categories import ALL_CATEGORIES, Basis, Category
from referral_hub.consent.models import Consent, LegalBasis, Resident
from referral_hub.directory import roles
from referral_hub.directory.models import Department, Desk, Membership, Role

# Purposes where the actor receives the data as a member of ``recipient_desk``.
READ_PURPOSES = frozenset({"sheet.read", "attachment.read", "attachment.upload", "resident.read"})
# Purposes where the actor sends the data to ``recipient_desk``.
SEND_PURPOSES = frozenset({"sheet.send", "sheet.resend", "sheet.redirect", "attachment.send"})
# The sender's view of what the desk did (case notes, messages from the desk).
FEEDBACK_PURPOSE = "sheet.feedback"

MESSAGES: dict[str, str] = {
    "consent_required": "本人同意が記録されていません。同意を記録するか、他の法的根拠を選んでください。",
    "consent_scope": "本人同意の範囲外です。同意の対象となっている窓口・情報の範囲を確認してください。",
    "consent_withdrawn": "本人が同意を撤回しています。この情報はもう提供・閲覧できません。",
    "consent_expired": "本人同意の有効期限が切れています。改めて同意を得てください。",
    "justification_required": "同意によらない提供には理由の記載が必要です。",
    "not_support_meeting_member": "支援会議の構成員どうしでなければ、同意なしに情報を共有できません(法第9条)。",
    "basis_inactive": "この法的根拠は現在使用できません。個人情報保護担当に確認してください。",
    "not_desk_member": "この窓口の職員ではないため閲覧できません。",
    "not_owner_desk": "このシートを担当している窓口の職員だけが操作できます。",
    "not_sender": "シートを送った職員(または同じ課の職員)だけが操作できます。",
    "lead_required": "この操作は主任相談支援員が行います。",
    "handler_not_member": "担当者はこの窓口の職員から選んでください。",
    "role_not_allowed": "この役割ではシートを送ることができません。",
    "not_authenticated": "ログインしてください。",
}


# Where the next step differs by purpose, the message says what to do instead (no runaround).
PURPOSE_MESSAGES: dict[tuple[str, str], str] = {
    ("sheet.redirect", "consent_scope"): (
        "転送先の窓口は本人同意の範囲外です。送った職員に差し戻すか、本人に確認して転送先への同意を得てください。"
    ),
    ("sheet.redirect", "consent_withdrawn"): (
        "本人が同意を撤回しているため転送できません。終結するか、送った職員に差し戻してください。"
    ),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str
    purpose: str
    code: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    consent_id: int | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        text = PURPOSE_MESSAGES.get((self.purpose, self.code)) or MESSAGES.get(self.code, "")
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
    record(
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
    return decision


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
    if purpose == "sheet.send" and not roles.has_role(
        actor, Role.CLERK, Role.CONSULTANT, Role.LEAD
    ):
        return _refuse(purpose, basis, "role_not_allowed", wanted)
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
        if actor.pk == facts.sender_id:
            return Decision(True, "", purpose)
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


def authorize_registration(actor: Any, purpose: str) -> Decision:
    """Registering a resident or recording a consent happens at a counter or desk: clerks,
    consultation staff and leads only (not privacy officers or administrators)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        decision = _refuse(purpose, "", "not_authenticated", frozenset())
    elif roles.has_role(actor, Role.CLERK, Role.CONSULTANT, Role.LEAD):
        return Decision(True, "", purpose)
    else:
        decision = _refuse(purpose, "", "role_not_allowed", frozenset())
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        allowed=False,
        refusal_code=decision.code,
    )
    return decision


def authorize_consent_view(actor: Any, consent: Consent) -> Decision:
    """A consent record (scope, method, status) is visible to counter and desk staff and to the
    privacy officer; it holds no identity data."""
    purpose = "consent.read"
    if getattr(actor, "is_authenticated", False) and roles.has_role(
        actor, Role.CLERK, Role.CONSULTANT, Role.LEAD, Role.PRIVACY_OFFICER
    ):
        return Decision(True, "", purpose)
    decision = _refuse(purpose, "", "role_not_allowed", frozenset())
    record(
        purpose,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_desk=roles.place_label(actor),
        target_type="consent",
        target_id=consent.pk,
        resident_id=consent.resident_id,
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


# --- what reaches the sending side (DOMAIN.md: feedback to the referrer is minimal) -----------
# By default the sender hears the fact of involvement, the status and the outcome. Anything the
# desk writes for the sender (a message, a note marked 「送った職員に伝える」) needs the
# resident's consent to feedback; a message on a withdrawn or expired consent goes nowhere.

FEEDBACK_NOT_CONSENTED = "feedback_not_consented"
MESSAGES[FEEDBACK_NOT_CONSENTED] = (
    "本人が「つないだ職員への経過報告」に同意していないため、送った職員にはメモやメッセージを"
    "伝えられません。送った職員には状態と結果だけが伝わります。"
)
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
