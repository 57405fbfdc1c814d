"""Read side of the rights desk: the register and its filters."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from referral_hub.office_calendar import next_working_day
from referral_hub.rights.deadlines import DUE_SOON_WORKING_DAYS
from referral_hub.rights.models import RightsRequest

STATUSES = ("open", "due_soon", "overdue", "decided", "all")


def due_soon_limit(today: datetime.date) -> datetime.date:
    """The last day that counts as due soon: the 3rd working day after today."""
    day = today
    for _ in range(DUE_SOON_WORKING_DAYS):
        day = next_working_day(day)
    return day


def register(
    status: str = "open", kind: str = "", today: datetime.date | None = None
) -> QuerySet[RightsRequest]:
    """Requests by status: ``open`` (undecided), ``due_soon`` (undecided, deadline today up
    to the 3rd working day), ``overdue`` (undecided, deadline passed), ``decided`` or ``all``;
    optionally one ``kind``. Soonest deadline first."""
    today = today or timezone.localdate()
    requests = RightsRequest.objects.annotate(deadline_on=Coalesce("extended_until", "due_on"))
    if status == "open":
        requests = requests.filter(decision="")
    elif status == "due_soon":
        requests = requests.filter(
            decision="", deadline_on__gte=today, deadline_on__lte=due_soon_limit(today)
        )
    elif status == "overdue":
        requests = requests.filter(decision="", deadline_on__lt=today)
    elif status == "decided":
        requests = requests.exclude(decision="")
    if kind:
        requests = requests.filter(kind=kind)
    return requests.order_by("deadline_on", "pk")
