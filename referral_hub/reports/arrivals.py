"""来所 figures: how many residents referred in the period arrived at the desk, by sending
department, and the median time from sending to arrival.

A sheet counts as arrived when the owner desk recorded the arrival (``arrived_at``) before
``as_of``; the rate is arrived / sheets sent in the period from that department. Sheets sent by
desk staff form one row without a department (municipality-wide view only). Two queries.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q, QuerySet

from referral_hub.directory.models import Department
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.reports.expressions import PercentileCont, SecondsBetween
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.numbers import share
from referral_hub.reports.percentiles import window_percentiles

NOT_A_DEPARTMENT = "部署以外(窓口・その他)"


def arrival_figures(
    sheets: QuerySet[ConnectSheet] | QuerySet[SheetFacts],
    as_of: datetime.datetime,
    *,
    municipality_wide: bool,
    sent: dict[int | None, int] | None = None,
) -> dict[str, Any]:
    """``{"sheets", "arrived", "rate", "median_seconds_to_arrival", "by_department": [...]}``
    for the sheets of the period: the sheets themselves (``sheet_rows.sheets_of``) or their
    rollup rows (``sheet_rows.facts_of``, which carry ``arrived_at``); the same figures.

    ``sent``: the sheets sent in the period by department id (None: by desk staff), when the
    caller has counted them already; only the arrived sheets are then read (with the rollups,
    from a partial index of the arrived sheets)."""
    arrived = Q(arrived_at__isnull=False, arrived_at__lt=as_of)
    if sent is None:
        rows = list(
            sheets.order_by()
            .values("from_department_id")
            .annotate(sheets=Count("pk"), arrived=Count("pk", filter=arrived))
        )
    else:
        arrived_by = dict(
            sheets.filter(arrived)
            .order_by()
            .values_list("from_department_id")
            .annotate(n=Count("pk"))
        )
        rows = [
            {"from_department_id": d, "sheets": n, "arrived": arrived_by.get(d, 0)}
            for d, n in sent.items()
            if n
        ]
    names = dict(
        Department.objects.filter(pk__in=[r["from_department_id"] for r in rows]).values_list(
            "pk", "code"
        )
    )
    timed = sheets.filter(arrived).annotate(
        arrival_seconds=SecondsBetween(F("arrived_at"), F("sent_at"))
    )
    if connections[sheets.db].vendor == "postgresql":
        median = timed.aggregate(m=PercentileCont("arrival_seconds", 0.5))["m"]
    else:
        median = window_percentiles(timed.values("arrival_seconds"), "arrival_seconds", (0.5,))[0.5]
    by_department = [
        {
            "department_id": r["from_department_id"],
            "code": names.get(r["from_department_id"], ""),
            "sheets": r["sheets"],
            "arrived": r["arrived"],
            "rate": share(r["arrived"], r["sheets"]),
        }
        for r in rows
        if r["from_department_id"] is not None or municipality_wide
    ]
    by_department.sort(key=lambda r: (r["department_id"] is None, r["code"]))
    total = sum(r["sheets"] for r in by_department)
    total_arrived = sum(r["arrived"] for r in by_department)
    return {
        "sheets": total,
        "arrived": total_arrived,
        "rate": share(total_arrived, total),
        "median_seconds_to_arrival": None if median is None else round(float(median), 1),
        "by_department": by_department,
    }
