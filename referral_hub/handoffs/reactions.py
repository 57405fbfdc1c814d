"""What the handoffs app does when something happens elsewhere (connected in ``apps.py``):
a consent is withdrawn, the privacy officer flags a disclosure."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from referral_hub.directory.models import Desk
from referral_hub.handoffs import notify
from referral_hub.handoffs.models import ConnectSheet, EventKind, SheetEvent, Status


def on_consent_withdrawn(consent_id: int) -> None:
    """Open views of sheets sent under the consent are told at once (they re-fetch and are refused)."""
    sheets = (
        ConnectSheet.objects.filter(consent_id=consent_id)
        .exclude(status__in=[Status.CLOSED, Status.WITHDRAWN])
        .order_by("pk")  # the lock order: sheets by ascending id (consent/locks.py)
    )
    for sheet in sheets:
        SheetEvent.objects.create(
            sheet=sheet,
            kind=EventKind.CONSENT_WITHDRAWN,
            at=timezone.now(),
            from_status=sheet.status,
            to_status=sheet.status,
        )
    notify.consent_withdrawn(sheets, consent_id)


def on_disclosure_flagged(event: Any) -> None:
    """The privacy officer flagged a disclosure made without consent: the leads of the desk that
    received it are told (ids only; the lead opens the review through the audited pages)."""
    details = event.details or {}
    code = details.get("recipient_desk") or details.get("owner_desk") or ""
    desk = Desk.objects.filter(code=code).first()
    if desk is None:
        return
    # The gate's row names the sheet it disclosed (a send's row too, since issue 16). Rows
    # written before that named the resident; their alert carries no sheet rather than a guess.
    sheet = None
    if event.target_type == "sheet":
        sheet = ConnectSheet.objects.filter(pk=event.target_id).first()
    status = sheet.status if sheet else ""
    notify.lead_alert(desk.pk, sheet.pk if sheet else None, status, "disclosure_flagged")
