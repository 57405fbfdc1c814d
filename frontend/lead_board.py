"""The desk lead's board: overdue and bounced sheets, sheets without a handler, how many open
sheets each member of the desk holds, and (issue 20) the first-contact ladder by rung and the
stalled sheets. Bounced sheets are every open sheet redirected twice that the desk holds or
passed on (``handoffs.runaround``), until a lead of the desk acknowledges the alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from referral_hub.directory import roles
from referral_hub.directory.models import Desk, Role
from referral_hub.handoffs import escalation, runaround, selectors
from referral_hub.handoffs.models import ConnectSheet, Status


@dataclass
class Workload:
    user: Any
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class DeskBoard:
    desk: Desk
    overdue: list[ConnectSheet]
    bounced: list[ConnectSheet]
    unassigned: list[ConnectSheet]
    members: list[Any]
    workload: list[Workload]
    # First contact late, by rung (1 handler, 2 leads, 3 section chief), and stalled sheets.
    ladder: dict[int, list[ConnectSheet]] = field(default_factory=dict)
    stalled: list[ConnectSheet] = field(default_factory=list)


def lead_desks(user: Any) -> list[Desk]:
    return list(Desk.objects.filter(pk__in=roles.desk_ids(user, roles=(Role.LEAD,))))


def desk_members(desk: Desk) -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__desk=desk,
            memberships__role__in=[Role.CONSULTANT, Role.LEAD],
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def board_for(user: Any, desk: Desk) -> DeskBoard:
    rows: QuerySet[ConnectSheet] = (
        selectors.inbox(user).filter(owner_desk=desk).select_related("handler")
    )
    members = desk_members(desk)
    held = rows.exclude(handler__isnull=True).values("handler", "status").annotate(n=Count("pk"))
    by_user: dict[int, Workload] = {m.pk: Workload(m) for m in members}
    for row in held:
        if row["handler"] in by_user:
            by_user[row["handler"]].counts[row["status"]] = row["n"]
    return DeskBoard(
        desk=desk,
        overdue=list(selectors.filter_sheets(rows, overdue=True).order_by("ack_due_at")),
        bounced=list(runaround.bounced_through(desk.pk)),
        unassigned=list(
            rows.filter(
                status__in=[Status.SENT, Status.ACKNOWLEDGED], handler__isnull=True
            ).order_by("ack_due_at")
        ),
        members=members,
        workload=[by_user[m.pk] for m in members],
        ladder={
            rung: list(rows.filter(escalation_rung=rung).order_by("first_contact_due_at"))
            for rung in (escalation.HANDLER, escalation.LEADS, escalation.SECTION_CHIEF)
        },
        stalled=list(rows.filter(stalled_at__isnull=False).order_by("stalled_at")),
    )
