"""来所: the resident came to the owner desk with the handout, and the desk recorded it.

The loop closes visibly (DESIGN.md invariant 4): the arrival is a milestone on the timeline, an
audit row ``sheet.arrived`` and a ``sheet.updated`` event (``milestone: arrived``) to the owner
desk and the sending side. It does not change the sheet's status: a resident may arrive before
or after the desk acknowledged the sheet.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.handoffs import notify
from referral_hub.handoffs.arrival_codes import normalise_code
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition
from referral_hub.handoffs.models import OPEN_STATUSES, ConnectSheet, EventKind, SheetEvent
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.steps import audit_sheet, lock_sheet

ARRIVAL_CODE_MISMATCH = (
    "来所コードがこのシートと一致しません。案内の紙のコードをもう一度確かめてください。"
    " / The arrival code does not match this sheet."
)


def record_arrival(actor: Any, sheet_id: int, code: str) -> tuple[ConnectSheet, bool]:
    """Record that the resident arrived at the owner desk, showing ``code`` (typed or scanned).

    Returns ``(sheet, recorded)``: ``recorded`` is False when the arrival was already recorded
    (a second scan changes nothing and tells no one). Raises ``Refused`` (403, not the owner
    desk: gate action ``arrival``), ``InvalidInput`` ``arrival_code_mismatch`` (400) and
    ``InvalidTransition`` (409: the sheet is closed, withdrawn or returned)."""
    typed = normalise_code(code)
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        gate(policy.authorize_action(actor, "arrival", facts_of(sheet)))
        if not typed or typed != sheet.arrival_code:
            raise InvalidInput("arrival_code_mismatch", ARRIVAL_CODE_MISMATCH, "code")
        if sheet.arrived_at is not None:
            return sheet, False
        if sheet.status not in OPEN_STATUSES:
            raise InvalidTransition("arrived", sheet.status)
        now = timezone.now()
        sheet.arrived_at = now
        sheet.version += 1
        sheet.save(update_fields=["arrived_at", "version", "updated_at"])
        SheetEvent.objects.create(  # type: ignore[misc]  # encrypted fields: stubs see no attname
            sheet=sheet,
            kind=EventKind.ARRIVED,
            actor=actor,
            at=now,
            from_status=sheet.status,
            to_status=sheet.status,
        )
        audit_sheet(actor, sheet, "sheet.arrived")
        notify.sheet_updated(sheet, milestone="arrived")
    return sheet, True
