"""Work that runs on a schedule rather than a request (the ``sweep_overdue`` command).

Apps above handoffs add their own scheduled work with :func:`register_periodic` (the rights
desk's deadline alerts), so one sweep runs everything and handoffs imports none of them."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import batched
from referral_hub.handoffs import notify
from referral_hub.handoffs.models import ConnectSheet, EventKind, SheetEvent, Status
from referral_hub.handoffs.steps import audit_sheet


def sweep_overdue(now: datetime.datetime | None = None) -> int:
    """Record the overdue event once per sheet and owner period, and notify the owner desk, its
    leads and the sender. Safe to run from several processes (rows are locked and re-checked).
    Returns the number of sheets newly marked overdue."""
    now = now or timezone.now()
    due = ConnectSheet.objects.filter(
        status=Status.SENT, ack_due_at__lt=now, overdue_notified_at__isnull=True
    )
    count = 0
    for sheet_id in due.values_list("pk", flat=True).iterator():
        with transaction.atomic(), batched():
            sheet = ConnectSheet.objects.select_for_update().get(pk=sheet_id)
            if (
                sheet.status != Status.SENT
                or sheet.overdue_notified_at is not None
                or sheet.ack_due_at >= now
            ):
                continue
            sheet.overdue_notified_at = now
            sheet.save(update_fields=["overdue_notified_at", "updated_at"])
            SheetEvent.objects.create(
                sheet=sheet,
                kind=EventKind.OVERDUE,
                at=now,
                from_status=sheet.status,
                to_status=sheet.status,
                to_desk=sheet.owner_desk,
            )
            audit_sheet(
                None, sheet, "sheet.overdue", details={"ack_due_at": sheet.ack_due_at.isoformat()}
            )
            notify.sheet_overdue(sheet)
            count += 1
    return count


PeriodicJob = Callable[[datetime.datetime], int]
_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, job: PeriodicJob) -> None:
    """Run ``job(now)`` (returns a count) in every sweep after the overdue sheets."""
    _jobs[name] = job


def run_registered(now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every registered job; ``{name: count}``."""
    now = now or timezone.now()
    return {name: job(now) for name, job in sorted(_jobs.items())}
