"""Read-side facts the gate and the retention run ask (registered in ``consent.rights_hooks``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from referral_hub.rights.models import RightsRequest, UseSuspension

DEFAULT_LEGAL_HOLD_DAYS = 365


def is_use_suspended(resident_id: int) -> bool:
    return UseSuspension.objects.filter(resident_id=resident_id, lifted_at__isnull=True).exists()


def legal_hold_days() -> int:
    """``RIGHTS_LEGAL_HOLD_DAYS``: days after a decision during which retention still waits
    (a 審査請求 may be filed within 3 months, 行政不服審査法 第18条, and then be reviewed)."""
    return int(getattr(settings, "RIGHTS_LEGAL_HOLD_DAYS", DEFAULT_LEGAL_HOLD_DAYS))


def legal_holds(resident_ids: Iterable[int]) -> dict[int, str]:
    """Resident id -> ``rights_request:<id>:pending`` or ``rights_request:<id>:decided``."""
    since = timezone.localdate() - datetime.timedelta(days=legal_hold_days())
    held = RightsRequest.objects.filter(resident_id__in=list(resident_ids)).filter(
        Q(decision="") | Q(decided_on__gte=since)
    )
    reasons: dict[int, str] = {}
    for request in held.order_by("pk"):
        state = "pending" if request.is_open else "decided"
        reasons.setdefault(request.resident_id, f"rights_request:{request.pk}:{state}")
    return reasons
