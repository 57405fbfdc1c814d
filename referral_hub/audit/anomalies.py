"""The anomaly report: patterns in one day's reads that a privacy officer should look at.

* staff who opened more than ``threshold`` distinct residents;
* reads outside office hours: at any time of a closed day (weekends, public holidays, 年末年始)
  or outside ``settings.OFFICE_HOURS`` on a working day, as :mod:`referral_hub.office_calendar`
  (the calendar the SLA deadlines use) decides;
* reads of a sheet owned by another desk than the reader's (the gate makes this impossible;
  shown if the log ever contains one). Reads carry the owner desk in ``details`` (see
  :func:`_owner_desk`); ``actor_desk`` may list several of the reader's places, comma-separated;
* memberships an administrator granted to themselves (``directory.membership_added`` with
  ``self_granted``): a desk membership opens that desk's sheets, so the privacy officer sees
  every self-grant (issue 13, "a way in that skips the gate").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from referral_hub import office_calendar
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.selectors import day_bounds

DEFAULT_THRESHOLD = 20


@dataclass
class AnomalyReport:
    date: date
    threshold: int
    office_hours: str
    working_day: bool
    many_residents: list[dict[str, Any]] = field(default_factory=list)
    outside_office_hours: list[dict[str, Any]] = field(default_factory=list)
    foreign_desk_reads: list[dict[str, Any]] = field(default_factory=list)
    self_granted_memberships: list[dict[str, Any]] = field(default_factory=list)


def anomalies_on(day: date, threshold: int = DEFAULT_THRESHOLD) -> AnomalyReport:
    start, end = day_bounds(day)
    opens, closes = office_calendar.office_hours()
    report = AnomalyReport(
        date=day,
        threshold=threshold,
        office_hours=f"{opens:%H:%M}-{closes:%H:%M}",
        working_day=office_calendar.is_working_day(day),
    )
    reads = (
        AuditEvent.objects.filter(at__gte=start, at__lt=end, allowed=True, action__endswith=".read")
        .order_by("seq")
        .only(*_READ_FIELDS)
    )
    residents_by_actor: dict[int | None, set[int]] = defaultdict(set)
    who: dict[int | None, tuple[str, set[str]]] = {}
    for event in reads.iterator(chunk_size=2000):
        if event.resident_id is not None:
            residents_by_actor[event.actor_id].add(event.resident_id)
            who.setdefault(event.actor_id, (event.actor_username, set()))[1].add(event.actor_desk)
        if not office_calendar.is_office_time(event.at):
            report.outside_office_hours.append(_row(event))
        owner_desk = _owner_desk(event)
        if owner_desk and owner_desk not in event.actor_desk.split(","):
            report.foreign_desk_reads.append({**_row(event), "owner_desk": owner_desk})
    for actor_id, residents in residents_by_actor.items():
        if len(residents) > threshold:
            username, desks = who[actor_id]
            report.many_residents.append(
                {
                    "actor_id": actor_id,
                    "actor_username": username,
                    "actor_desks": sorted(d for d in desks if d),
                    "residents": len(residents),
                }
            )
    report.many_residents.sort(key=lambda row: (-row["residents"], row["actor_username"]))
    report.self_granted_memberships = self_granted_memberships(start, end)
    return report


def self_granted_memberships(start: Any, end: Any) -> list[dict[str, Any]]:
    """Memberships granted by their own holder between ``start`` and ``end``, in log order:
    the event row plus the granted ``role``, ``desk`` and ``department`` codes."""
    # ``details`` is stored as exact JSON text (audit.fields), not jsonb: filter here. A day
    # holds a handful of membership grants.
    grants = AuditEvent.objects.filter(
        at__gte=start, at__lt=end, action="directory.membership_added"
    ).order_by("seq")
    rows = []
    for event in grants.only(*_READ_FIELDS):
        details = event.details if isinstance(event.details, dict) else {}
        if details.get("self_granted") is not True:
            continue
        rows.append(
            {
                **_row(event),
                "role": str(details.get("role") or ""),
                "desk": str(details.get("desk") or ""),
                "department": str(details.get("department") or ""),
            }
        )
    return rows


_READ_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_username",
    "actor_desk",
    "action",
    "target_type",
    "target_id",
    "resident_id",
    "details",
)


def _owner_desk(event: AuditEvent) -> str:
    """The desk that owns what was read. The gate records it as ``recipient_desk`` of a read
    (the data reaches the owner desk); sheet events carry ``owner_desk``."""
    details = event.details if isinstance(event.details, dict) else {}
    return str(details.get("owner_desk") or details.get("recipient_desk") or "")


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": timezone.localtime(event.at),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "actor_desk": event.actor_desk,
        "action": event.action,
        "resident_id": event.resident_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
    }
