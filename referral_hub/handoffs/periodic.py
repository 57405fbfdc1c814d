"""Work that runs on a schedule rather than a request (the ``sweep_overdue`` command): the
acknowledgement SLA (``sweep_overdue``) and the first-contact ladder and stall flag
(``sweep_escalations``, rules in ``handoffs.escalation``).

Apps above handoffs add their own scheduled work with :func:`register_periodic` (the rights
desk's deadline alerts, the support meetings' end of access), so one sweep runs everything and
handoffs imports none of them."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import batched
from referral_hub.handoffs import escalation, notify
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


# The ladder and the stall flag apply to a sheet with a handler that is still open.
FOLLOW_UP_STATUSES = (Status.ACCEPTED, Status.CONTACTED, Status.CONNECTED)


def sweep_escalations(now: datetime.datetime | None = None) -> dict[str, int]:
    """Climb the first-contact ladder (each rung once) and flag stalled sheets (once), with a
    desk-only timeline event, an audit row and alerts (ids only) for each. Safe to run from
    several processes (rows are locked and re-checked). Returns ``{"escalated": rungs
    recorded, "stalled": sheets flagged}``."""
    now = now or timezone.now()
    counts = {"escalated": 0, "stalled": 0}
    late = ConnectSheet.objects.filter(
        status=Status.ACCEPTED,
        first_contact_due_at__lt=now,
        last_attempt_at__isnull=True,
        escalation_rung__lt=escalation.TOP_RUNG,
    )
    for sheet_id in late.values_list("pk", flat=True).iterator():
        counts["escalated"] += _escalate(sheet_id, now)
    quiet = ConnectSheet.objects.filter(status__in=FOLLOW_UP_STATUSES, stalled_at__isnull=True)
    for sheet_id in quiet.values_list("pk", flat=True).iterator():
        counts["stalled"] += _flag_stalled(sheet_id, now)
    return counts


def _escalate(sheet_id: int, now: datetime.datetime) -> int:
    with transaction.atomic(), batched():
        sheet = (
            ConnectSheet.objects.select_for_update().select_related("owner_desk").get(pk=sheet_id)
        )
        if sheet.status != Status.ACCEPTED:
            return 0
        target = escalation.rung_due(sheet, now)
        rungs = list(range(sheet.escalation_rung + 1, target + 1))
        for rung in rungs:
            SheetEvent.objects.create(
                sheet=sheet,
                kind=EventKind.ESCALATED,
                at=now,
                from_status=sheet.status,
                to_status=sheet.status,
                to_desk=sheet.owner_desk,
                outcome=f"rung_{rung}",
            )
            audit_sheet(None, sheet, "sheet.escalated", details={"rung": rung})
            notify.escalation_alert(sheet, rung)
        if rungs:
            sheet.escalation_rung = target
            sheet.escalated_at = now
            sheet.save(update_fields=["escalation_rung", "escalated_at", "updated_at"])
        return len(rungs)


def _flag_stalled(sheet_id: int, now: datetime.datetime) -> int:
    with transaction.atomic(), batched():
        sheet = (
            ConnectSheet.objects.select_for_update().select_related("owner_desk").get(pk=sheet_id)
        )
        if (
            sheet.status not in FOLLOW_UP_STATUSES
            or sheet.stalled_at is not None
            or not escalation.is_stalled(sheet, now)
        ):
            return 0
        sheet.stalled_at = now
        sheet.save(update_fields=["stalled_at", "updated_at"])
        SheetEvent.objects.create(
            sheet=sheet,
            kind=EventKind.STALLED,
            at=now,
            from_status=sheet.status,
            to_status=sheet.status,
            to_desk=sheet.owner_desk,
        )
        audit_sheet(None, sheet, "sheet.stalled")
        notify.stalled_alert(sheet)
        return 1
