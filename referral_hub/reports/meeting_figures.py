"""Support-meeting figures (issue 17): meetings held, residents discussed and disclosures per
legal basis, per month of a fiscal year. Counts only, never names.

- **meetings held** in a month: meetings whose ``held_on`` falls in the month (JST) and is not
  after ``as_of`` (a planned meeting is not held yet);
- **residents discussed**: distinct residents on the agenda of those meetings;
- **disclosures by basis**: allowed gate decisions that disclose a resident's data
  (``audit.disclosures.disclosure_filter``: reads, sends, redirects, exports) recorded in the
  month, by the legal basis they relied on.

Three queries whatever the number of rows (the grouping is done by the database).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from referral_hub.audit.disclosures import DISCLOSURE_ACTIONS, disclosure_filter
from referral_hub.audit.models import AuditEvent
from referral_hub.consent.categories import Basis
from referral_hub.meetings.models import MeetingCase, SupportMeeting
from referral_hub.reports.periods import TOKYO, fiscal_year_months, fiscal_year_period


def _label(month: datetime.date | datetime.datetime) -> str:
    if isinstance(month, datetime.datetime):
        month = month.astimezone(TOKYO).date()
    return f"{month.year:04d}-{month.month:02d}"


def support_meeting_report(fy: int, *, as_of: datetime.datetime | None = None) -> dict[str, Any]:
    """``{"fiscal_year", "as_of", "months": [{"month", "meetings_held", "residents_discussed",
    "disclosures": {basis: count}}], "totals": {...}}`` for fiscal year ``fy`` (April–March)."""
    as_of = as_of or timezone.now()
    period = fiscal_year_period(fy)
    first = period.start.date()
    last_day = min((period.end - datetime.timedelta(days=1)).date(), as_of.astimezone(TOKYO).date())
    held = SupportMeeting.objects.filter(held_on__gte=first, held_on__lte=last_day)
    meetings = dict(
        held.annotate(month=TruncMonth("held_on"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    residents = dict(
        MeetingCase.objects.filter(meeting__in=held)
        .annotate(month=TruncMonth("meeting__held_on"))
        .values("month")
        .annotate(n=Count("resident_id", distinct=True))
        .values_list("month", "n")
    )
    disclosures: dict[tuple[str, str], int] = {}
    rows = (
        AuditEvent.objects.filter(disclosure_filter(), at__gte=period.start, at__lt=period.end)
        .filter(at__lte=as_of)
        # Gate decisions only: an agenda read is a disclosure to the resident (本人開示) but
        # not a sheet's disclosure counted here.
        .exclude(action__in=DISCLOSURE_ACTIONS)
        .annotate(month=TruncMonth("at", tzinfo=TOKYO))
        .values("month", "legal_basis")
        .annotate(n=Count("seq"))
        .values_list("month", "legal_basis", "n")
    )
    for month, basis, n in rows:
        disclosures[(_label(month), basis)] = n
    by_label_meetings = {_label(m): n for m, n in meetings.items()}
    by_label_residents = {_label(m): n for m, n in residents.items()}
    months = []
    for month in fiscal_year_months(fy):
        label = _label(month)
        months.append(
            {
                "month": label,
                "meetings_held": by_label_meetings.get(label, 0),
                "residents_discussed": by_label_residents.get(label, 0),
                "disclosures": {b: disclosures.get((label, b), 0) for b in Basis.values},
            }
        )
    return {
        "fiscal_year": fy,
        "as_of": as_of.astimezone(TOKYO).isoformat(),
        "months": months,
        "totals": {
            "meetings_held": sum(m["meetings_held"] for m in months),
            # A resident discussed in two months counts once in the year.
            "residents_discussed": MeetingCase.objects.filter(meeting__in=held)
            .values("resident_id")
            .distinct()
            .count(),
            "disclosures": {b: sum(m["disclosures"][b] for m in months) for b in Basis.values},
        },
    }
