"""Runaround seen (issue 20): every desk a bounced sheet passed through keeps it on its lead's
board until a lead of that desk acknowledges the alert.

A sheet is *bounced* once it has been redirected ``policy.REDIRECTS_BEFORE_LEAD`` times (the one
threshold of DESIGN.md invariant 2). The board row shows status, current desk, redirect count
and deadline only (the gate's ``sheet.trail_read``: ``consent.passage``).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.handoffs.models import (
    OPEN_STATUSES,
    ConnectSheet,
    EventKind,
    RunaroundAcknowledgement,
)
from referral_hub.handoffs.selectors import facts_of
from referral_hub.handoffs.steps import audit_sheet, lock_sheet


def bounced_through(desk_id: int, *, include_acknowledged: bool = False) -> QuerySet[ConnectSheet]:
    """Open bounced sheets that ``desk_id`` holds or passed on, newest alert first; without
    those a lead of the desk has acknowledged unless ``include_acknowledged``."""
    rows = (
        ConnectSheet.objects.filter(
            status__in=OPEN_STATUSES, redirect_count__gte=policy.REDIRECTS_BEFORE_LEAD
        )
        .filter(
            Q(owner_desk_id=desk_id)
            | Q(events__kind=EventKind.REDIRECTED, events__from_desk_id=desk_id)
        )
        .distinct()
        .select_related("owner_desk", "handler")
    )
    if not include_acknowledged:
        seen = RunaroundAcknowledgement.objects.filter(desk_id=desk_id).values("sheet_id")
        rows = rows.exclude(pk__in=seen)
    return rows.order_by("-redirect_count", "ack_due_at")


def acknowledge_runaround(actor: Any, sheet_id: int, desk_id: int) -> RunaroundAcknowledgement:
    """A lead of ``desk_id`` (a desk the sheet passed through) has seen the runaround alert.
    Idempotent. Raises ``Refused`` (``lead_required``) or ``NotFound``."""
    with gated() as gate:
        sheet = lock_sheet(sheet_id)
        gate(
            policy.authorize_passage(actor, facts_of(sheet), "sheet.runaround_acknowledge", desk_id)
        )
        existing = RunaroundAcknowledgement.objects.filter(sheet=sheet, desk_id=desk_id).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                ack = RunaroundAcknowledgement.objects.create(
                    sheet=sheet,
                    desk_id=desk_id,
                    acknowledged_by=actor,
                    acknowledged_at=timezone.now(),
                )
        except IntegrityError:  # pragma: no cover - the sheet lock serialises acknowledgements
            return RunaroundAcknowledgement.objects.get(sheet=sheet, desk_id=desk_id)
        audit_sheet(actor, sheet, "sheet.runaround_acknowledged", details={"desk": desk_id})
    return ack
