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
from referral_hub.consent.categories import Category
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


def _summary_read(actor: Any, sheet: ConnectSheet) -> policy.Decision:
    """The gate's ``sheet.read`` of what the arrival's answer shows (the concern codes)."""
    return policy.authorize(
        actor,
        sheet.resident,
        sheet.owner_desk,
        [Category.CONCERN.value],
        "sheet.read",
        basis=sheet.legal_basis,
        consent=sheet.consent,
        justification=sheet.justification,
        support_meeting=sheet.support_meeting_id,
        target=("sheet", sheet.pk),
    )


def record_arrival(actor: Any, sheet_id: int, code: str) -> tuple[ConnectSheet, bool]:
    """Record that the resident arrived at the owner desk, showing ``code`` (typed or scanned).

    Returns ``(sheet, recorded)``: ``recorded`` is False when the arrival was already recorded
    (a second scan changes nothing and tells no one). Raises ``Refused`` (403, not the owner
    desk: gate action ``arrival``; or the desk may no longer read the sheet's summary: gate
    ``sheet.read``, e.g. ``use_suspended``), ``InvalidInput`` ``arrival_code_mismatch`` (400) and
    ``InvalidTransition`` (409: the sheet is closed, withdrawn or returned)."""
    typed = normalise_code(code)
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        gate(policy.authorize_action(actor, "arrival", facts_of(sheet)))
        # The answer carries the sheet's summary (its concern codes): it follows what the desk
        # may still read. A resident whose use is suspended (第98条: ``use_suspended``), a
        # support meeting that has closed, a withdrawn consent: refused, nothing recorded and
        # no one told (the sender would learn the resident came).
        gate(_summary_read(actor, sheet))
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
