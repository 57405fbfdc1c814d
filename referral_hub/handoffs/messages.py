"""The sheet's message thread between the owner desk and the sending side."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.directory import roles
from referral_hub.handoffs import notify
from referral_hub.handoffs.errors import InvalidTransition
from referral_hub.handoffs.models import SheetMessage, Status
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.steps import audit_sheet, lock_sheet, require_text, to_sender_gate


def post_message(actor: Any, sheet_id: int, body: str) -> SheetMessage:
    """A message on the sheet's thread. The desk's message reaches the sender only with the
    resident's consent to feedback, so without it the desk is refused before anything is sent
    (``feedback_not_consented``); after a withdrawal neither side may post (``consent_withdrawn``)."""
    body = require_text(body, "body_required", "メッセージを入力してください。", "body")
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        on_desk = sheet.owner_desk_id in roles.desk_ids(actor)
        action = "desk_message" if on_desk else "sender_message"
        gate(policy.authorize_action(actor, action, facts_of(sheet)))
        if sheet.status in (Status.CLOSED, Status.WITHDRAWN):
            raise InvalidTransition("message", sheet.status)
        gate(to_sender_gate(actor, sheet, action, to_sender=on_desk))
        message = SheetMessage.objects.create(  # type: ignore[misc]  # encrypted fields: stubs see no attname
            sheet=sheet,
            author=actor,
            side=SheetMessage.Side.DESK if on_desk else SheetMessage.Side.SENDER,
            desk=sheet.owner_desk if on_desk else None,
            body=body,
            created_at=timezone.now(),
        )
        audit_sheet(
            actor,
            sheet,
            "sheet.message_posted",
            details={"side": message.side, "message": message.pk},
        )
        notify.sheet_message(sheet, author_id=actor.pk)
    return message
