"""What the owner desk does with a sheet: 受付, 担当決定, 連絡済, つながった, 転送, 差戻し, 終結.

Each action is one transaction (``consent.refusals.gated``): lock the sheet, ask the gate,
change the state with its timeline and audit events, store the inbox events pushed on commit.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.directory.models import Desk
from referral_hub.handoffs import cases, close_evidence, lifecycle, notify, sla, staffing
from referral_hub.handoffs.errors import AttemptsRequired, InvalidInput, InvalidTransition
from referral_hub.handoffs.models import (
    OPEN_STATUSES,
    ConnectSheet,
    EventKind,
    Outcome,
    SheetEvent,
)
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.steps import (
    MAX_TEXT,
    audit_sheet,
    begin,
    lock_sheet,
    move,
    require_text,
    to_sender_gate,
)


def _milestone(
    actor: Any,
    sheet_id: int,
    action: str,
    kind: str,
    stamp: str,
    note: str = "",
    handler_id: int | None = None,
    share_with_sender: bool = False,
) -> ConnectSheet:
    """A forward step of the owner desk: stamp the milestone's time, record it, tell everyone.
    The note stays with the desk unless ``share_with_sender`` (refused with
    ``feedback_not_consented`` when the consent does not cover feedback)."""
    gate_args = {"handler_id": handler_id} if action == "accept" else {}
    shared = share_with_sender and bool(note.strip())
    with gated() as gate:
        sheet = begin(gate, actor, sheet_id, action, **gate_args)
        if shared:
            gate(to_sender_gate(actor, sheet, action))
        now = timezone.now()
        setattr(sheet, stamp, now)
        if action == "accept":
            sheet.handler_id = handler_id or actor.pk
            sheet.first_contact_due_at = sla.first_contact_due_at(now, sheet.urgency)
        move(actor, sheet, action, kind, note=note, now=now, shared=shared)
        notify.sheet_updated(sheet)
    return sheet


def acknowledge(actor: Any, sheet_id: int) -> ConnectSheet:
    """受付: the desk confirms receipt; the SLA clock stops."""
    return _milestone(actor, sheet_id, "acknowledge", EventKind.ACKNOWLEDGED, "acknowledged_at")


def accept(actor: Any, sheet_id: int, handler_id: int | None = None) -> ConnectSheet:
    """担当決定: a named handler takes the case (a lead may assign a colleague)."""
    return _milestone(
        actor, sheet_id, "accept", EventKind.ACCEPTED, "accepted_at", handler_id=handler_id
    )


def mark_contacted(
    actor: Any, sheet_id: int, note: str = "", *, share_with_sender: bool = False
) -> ConnectSheet:
    """連絡済: first contact with the resident made."""
    return _milestone(
        actor,
        sheet_id,
        "contacted",
        EventKind.CONTACTED,
        "contacted_at",
        note,
        share_with_sender=share_with_sender,
    )


def mark_connected(
    actor: Any, sheet_id: int, note: str = "", *, share_with_sender: bool = False
) -> ConnectSheet:
    """つながった: support or consultation started."""
    return _milestone(
        actor,
        sheet_id,
        "connected",
        EventKind.CONNECTED,
        "connected_at",
        note,
        share_with_sender=share_with_sender,
    )


def redirect_sheet(actor: Any, sheet_id: int, to_desk: Desk, reason: str) -> ConnectSheet:
    """転送: the sheet, with its whole content and timeline, moves to a better desk that the
    consent covers. Two redirects alert the leads; further ones need a lead."""
    reason = require_text(reason, "reason_required", "転送の理由を記入してください。", "reason")
    with gated() as gate:
        sheet = begin(gate, actor, sheet_id, "redirect", to_desk_id=to_desk.pk)
        if to_desk.pk == sheet.owner_desk_id:
            raise InvalidInput("same_desk", "すでにこの窓口のシートです。", "to_desk")
        if not to_desk.is_active:
            raise InvalidInput("desk_inactive", "この窓口は現在受け付けていません。", "to_desk")
        staffing.require_staffed(to_desk, exclude={sheet.owner_desk_id})
        gate(
            policy.authorize(
                actor,
                sheet.resident,
                to_desk,
                sheet.categories,
                "sheet.redirect",
                basis=sheet.legal_basis,
                consent=sheet.consent,
                justification=sheet.justification,
                support_meeting=sheet.support_meeting_id,
                target=("sheet", sheet.pk),
                sender_department=None,
            )
        )
        now = timezone.now()
        from_desk = sheet.owner_desk
        sheet.owner_desk = to_desk
        sheet.owner_since = now
        sheet.ack_due_at = sla.ack_due_at(now, sheet.urgency)
        sheet.overdue_notified_at = None
        sheet.handler = None
        sheet.acknowledged_at = sheet.accepted_at = sheet.contacted_at = sheet.connected_at = None
        # The new desk's own first-contact deadline and ladder start at its 担当決定.
        sheet.first_contact_due_at = sheet.escalated_at = None
        sheet.escalation_rung = 0
        sheet.redirect_count += 1
        move(
            actor,
            sheet,
            "redirect",
            EventKind.REDIRECTED,
            note=reason,
            from_desk=from_desk,
            to_desk=to_desk,
            now=now,
        )
        notify.sheet_received(sheet)
        notify.sheet_left_desk(sheet, from_desk.pk)
        if sheet.redirect_count >= policy.REDIRECTS_BEFORE_LEAD:
            passed = set(facts_of(sheet).previous_desk_ids) | {to_desk.pk}
            SheetEvent.objects.create(
                sheet=sheet,
                kind=EventKind.RUNAROUND_ALERT,
                at=now,
                from_status=sheet.status,
                to_status=sheet.status,
                to_desk=to_desk,
            )
            audit_sheet(
                None, sheet, "sheet.runaround_alert", details={"redirects": sheet.redirect_count}
            )
            notify.runaround_alert(sheet, passed)
    return sheet


def return_sheet(actor: Any, sheet_id: int, reason: str) -> ConnectSheet:
    """差戻し: back to the sender with a question; the desk still owns it until resent or withdrawn."""
    reason = require_text(reason, "reason_required", "差戻しの理由を記入してください。", "reason")
    with gated() as gate:
        sheet = begin(gate, actor, sheet_id, "return")
        move(actor, sheet, "return", EventKind.RETURNED, note=reason, now=timezone.now())
        notify.sheet_updated(sheet)
    return sheet


def close_sheet(
    actor: Any,
    sheet_id: int,
    outcome: str,
    note: str = "",
    *,
    share_with_sender: bool = False,
    lead_approval_reason: str = "",
) -> ConnectSheet:
    """終結 with an outcome category, which the sender sees; the note only if shared (as
    ``_milestone``).

    ``unreachable`` and ``declined`` need the evidence of ``close_evidence`` or a lead's approval
    (``lead_approval_reason``; a non-lead is refused ``lead_required``); without either,
    ``AttemptsRequired`` (409) names the counts still missing. ``consent_withdrawn`` closes any
    open sheet whose consent was withdrawn (409 ``invalid_transition`` otherwise) and never
    shares a note. Closing a case (its first sheet) closes its linked sheets with the same
    outcome, each told to its own sender (``cases.open_linked_for_update``)."""
    if outcome not in Outcome.values:
        raise InvalidInput("invalid_outcome", "終結の結果を選んでください。", "outcome")
    approval = lead_approval_reason.strip()
    if len(approval) > MAX_TEXT:
        raise InvalidInput("too_long", f"{MAX_TEXT}文字以内で記入してください。", "lead_approval")
    withdrawn_close = outcome == Outcome.CONSENT_WITHDRAWN
    shared = share_with_sender and bool(note.strip()) and not withdrawn_close
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        gate(policy.authorize_action(actor, "close", facts_of(sheet)))
        if withdrawn_close:
            if sheet.status not in OPEN_STATUSES or not _consent_withdrawn(sheet):
                raise InvalidTransition("close:consent_withdrawn", sheet.status)
        elif not lifecycle.can("close", sheet.status):
            raise InvalidTransition("close", sheet.status)
        if shared:
            gate(to_sender_gate(actor, sheet, "close"))
        needed = lifecycle.OUTCOME_REQUIRES_STATUS.get(outcome)
        if needed and sheet.status not in needed:
            raise InvalidTransition(f"close:{outcome}", sheet.status)
        if outcome in close_evidence.EVIDENCE_OUTCOMES:
            if approval:
                gate(policy.authorize_action(actor, "approve_close", facts_of(sheet)))
            else:
                missing = close_evidence.missing_for(outcome, sheet.pk)
                if missing:
                    raise AttemptsRequired(outcome, missing)
        # Lock the linked sheets before taking the time: an action on one of them that commits
        # while this waits must not come after the closure in the timeline.
        linked_sheets = cases.open_linked_for_update(sheet)
        now = timezone.now()
        _close(actor, sheet, outcome, note, now, shared, approval)
        for linked in linked_sheets:
            # Each linked sheet is closed by the same desk, asked of the gate on its own; its
            # sender hears the outcome through its own sheet, within its own consent.
            gate(policy.authorize_action(actor, "close", facts_of(linked)))
            _close(actor, linked, outcome, "", now, False)
    return sheet


def _consent_withdrawn(sheet: ConnectSheet) -> bool:
    return sheet.consent is not None and sheet.consent.status_on(timezone.localdate()) == (
        "withdrawn"
    )


def _close(
    actor: Any,
    sheet: ConnectSheet,
    outcome: str,
    note: str,
    now: Any,
    shared: bool,
    approval: str = "",
) -> None:
    """The state change of one closure (the case's sheet or a linked one)."""
    sheet.outcome = outcome
    sheet.closed_at = now
    move(
        actor,
        sheet,
        "close",
        EventKind.CLOSED,
        note=note,
        outcome=outcome,
        now=now,
        shared=shared,
    )
    if approval:
        # The lead's reason stays with the desk (a desk-only timeline entry, encrypted).
        SheetEvent.objects.create(  # type: ignore[misc]  # encrypted fields: stubs see no attname
            sheet=sheet,
            kind=EventKind.CLOSE_APPROVED,
            actor=actor,
            at=now,
            from_status=sheet.status,
            to_status=sheet.status,
            outcome=outcome,
            note=approval[:MAX_TEXT],
        )
        audit_sheet(actor, sheet, "sheet.close_approved_by_lead", details={"outcome": outcome})
    notify.sheet_updated(sheet, outcome=outcome)
