"""The periodic sweep's part for the rights desk: alert the privacy officers once when a
request becomes due within 3 working days, and once when it is overdue. Registered with
``handoffs.periodic`` (run by ``sweep_overdue`` and the demo process); the alerts are audit
rows the officers' home page lists (``rights.selectors.register``)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.rights.models import RightsRequest
from referral_hub.rights.selectors import register


def sweep_rights_deadlines(now: datetime.datetime | None = None) -> int:
    """Returns the number of alerts recorded."""
    today = timezone.localtime(now).date() if now else timezone.localdate()
    count = 0
    for state, field in (("overdue", "overdue_alerted_on"), ("due_soon", "due_soon_alerted_on")):
        ids = register(state, today=today).filter(**{f"{field}__isnull": True})
        for request_id in ids.values_list("pk", flat=True):
            with transaction.atomic():
                request = RightsRequest.objects.select_for_update().get(pk=request_id)
                if getattr(request, field) is not None or not request.is_open:
                    continue
                setattr(request, field, today)
                request.save(update_fields=[field])
                record(
                    f"rights_request.{state}",
                    actor=None,
                    target_type="rights_request",
                    target_id=request.pk,
                    resident_id=request.resident_id,
                    details={"deadline": request.deadline.isoformat()},
                )
                count += 1
    return count
