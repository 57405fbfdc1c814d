"""What the sending side does with its sheet after sending it: resend after a return, withdraw."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.handoffs import notify, sla
from referral_hub.handoffs.models import ConnectSheet, EventKind
from referral_hub.handoffs.steps import assign_number, begin, move, require_text


def resend_sheet(actor: Any, sheet_id: int, note: str = "") -> ConnectSheet:
    """The sender answers a return and sends the sheet to the same desk again."""
    with gated() as gate:
        sheet = begin(gate, actor, sheet_id, "resend")
        gate(
            policy.authorize(
                actor,
                sheet.resident,
                sheet.owner_desk,
                sheet.categories,
                "sheet.resend",
                basis=sheet.legal_basis,
                consent=sheet.consent,
                justification=sheet.justification,
                support_meeting=sheet.support_meeting_id,
                target=("sheet", sheet.pk),
                sender_department=sheet.from_department,
            )
        )
        now = timezone.now()
        sheet.owner_since = now
        sheet.ack_due_at = sla.ack_due_at(now, sheet.urgency)
        sheet.overdue_notified_at = None
        sheet.acknowledged_at = None
        move(
            actor,
            sheet,
            "resend",
            EventKind.RESENT,
            note=note,
            to_desk=sheet.owner_desk,
            now=now,
        )
        notify.sheet_received(sheet)
        assign_number(sheet, now)
    return sheet


def withdraw_sheet(actor: Any, sheet_id: int, reason: str) -> ConnectSheet:
    """The sender withdraws the sheet before the desk accepted it."""
    reason = require_text(reason, "reason_required", "取下げの理由を記入してください。", "reason")
    with gated() as gate:
        sheet = begin(gate, actor, sheet_id, "withdraw")
        now = timezone.now()
        sheet.closed_at = now
        move(actor, sheet, "withdraw", EventKind.WITHDRAWN, note=reason, now=now)
        notify.sheet_updated(sheet)
    return sheet
