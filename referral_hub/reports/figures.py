"""Monthly and fiscal-year figures about connect sheets: counts only, never names.

Every figure is aggregated by the database. A report runs a fixed number of queries whatever the
number of sheets (``MAX_QUERIES``); on PostgreSQL the percentiles are ``PERCENTILE_CONT``,
elsewhere a window-function query that returns a handful of rows. The counting rules (which
date counts, how redirects count, what "within SLA" means) are written down in docs/reports.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from referral_hub.directory.models import Concern, Department
from referral_hub.handoffs.models import (
    ConnectSheet,
    Outcome,
    SheetEvent,
    Urgency,
)
from referral_hub.replica import replica_reads
from referral_hub.reports.arrivals import arrival_figures
from referral_hub.reports.follow_up import (
    follow_up_columns,
    follow_up_figures,
    follow_up_result,
    follow_up_totals,
)
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.numbers import seconds, share
from referral_hub.reports.percentiles import window_percentiles
from referral_hub.reports.periods import (
    TOKYO,
    Period,
    fiscal_year_months,
    fiscal_year_period,
    month_period,
)
from referral_hub.reports.sheet_rows import (
    PERCENTILES,
    TERMINAL_EVENTS,
    facts_of,
    facts_rows,
    sheets_of,
    timeline_rows,
    totals_of,
    with_sla,
)

# Outcomes that count as "connected" for the connection rate (the definition).
CONNECTED_OUTCOMES = (Outcome.CONNECTED_TO_SUPPORT, Outcome.REFERRED_ELSEWHERE)
# Upper bound of SQL queries for one report, asserted by the tests.
MAX_QUERIES = 12  # PostgreSQL: 9 (arrivals: 3; follow-up in the totals) + begin, SET LOCAL jit,
# commit; SQLite: 12 (no transaction; follow-up: 1; two percentile queries)
NOT_A_DEPARTMENT = "部署以外(窓口・その他)"
PER_SHEET_FENCE = 2**62  # a LIMIT no period reaches (see _period_report)


def monthly_report(
    month: datetime.date,
    *,
    department_ids: set[int] | None,
    as_of: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Figures for the sheets sent in ``month`` (JST), as they stood at ``as_of`` (default: now).

    ``department_ids`` limits every figure to sheets sent from those departments (a clerk's
    view); ``None`` means the whole municipality."""
    return period_report(month_period(month), department_ids=department_ids, as_of=as_of)


def fiscal_year_report(
    fy: int,
    *,
    department_ids: set[int] | None,
    as_of: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Figures for the sheets sent in fiscal year ``fy`` (April ``fy`` – March ``fy + 1``),
    with the number of sheets sent in each of its months."""
    report = period_report(fiscal_year_period(fy), department_ids=department_ids, as_of=as_of)
    report["months"] = fiscal_year_trend(fy, department_ids=department_ids, as_of=as_of)
    return report


def fiscal_year_trend(
    fy: int,
    *,
    department_ids: set[int] | None,
    as_of: datetime.datetime | None = None,
) -> list[dict[str, Any]]:
    """Sheets sent in each month of fiscal year ``fy``, April first (one query)."""
    as_of = as_of or timezone.now()
    period = fiscal_year_period(fy)
    sheets: QuerySet = sheets_of(period, department_ids, as_of)
    if rollups_kept(sheets.db):  # the narrow rows, not the sheets with their ciphertext
        sheets = SheetFacts.objects.filter(
            sent_at__gte=period.start, sent_at__lt=min(period.end, as_of)
        )
        if department_ids is not None:
            sheets = sheets.filter(from_department_id__in=department_ids)
    rows = (
        sheets.annotate(month=TruncMonth("sent_at", tzinfo=TOKYO))
        .values("month")
        .annotate(sheets=Count("pk"))
        .order_by()
    )
    with replica_reads():  # counts only, a few seconds of lag are harmless
        counted = {_first_day(row["month"]): row["sheets"] for row in rows}
    return [
        {"month": f"{month.year:04d}-{month.month:02d}", "sheets": counted.get(month, 0)}
        for month in fiscal_year_months(fy)
    ]


def _first_day(month: datetime.date | datetime.datetime) -> datetime.date:
    """TruncMonth gives an aware datetime in JST (a date on some backends)."""
    if isinstance(month, datetime.datetime):
        return month.astimezone(TOKYO).date()
    return month


def period_report(
    period: Period,
    *,
    department_ids: set[int] | None,
    as_of: datetime.datetime | None = None,
    from_rollups: bool | None = None,
) -> dict[str, Any]:
    """Every figure for the sheets sent in ``period``; see ``monthly_report``.

    Read from the replica when one is configured (``referral_hub.replica``): counts only, and a
    report describes the sheets as of ``as_of`` anyway. ``from_rollups``: read the per-sheet
    facts (``reports.models.SheetFacts``, PostgreSQL) or group the timeline; ``None`` chooses
    the rollups wherever the database keeps them. Both give the same figures."""
    as_of = as_of or timezone.now()
    with replica_reads():
        alias = sheets_of(period, department_ids, as_of).db
        with _without_jit(alias):
            return _period_report(period, department_ids, as_of, from_rollups)


@contextmanager
def _without_jit(alias: str) -> Iterator[None]:
    """PostgreSQL: no JIT compilation for the report's statements (one transaction, three
    statements more: begin, ``SET LOCAL``, commit). Their cost estimates (a dozen filtered counts over ~130,000 rows a fiscal
    year) are above ``jit_above_cost``, and compiling took longer than running: 1.8 of 2.8 s
    for the totals over 1M sheets (EXPLAIN ANALYZE, docs/performance.md)."""
    if connections[alias].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def rollups_kept(alias: str) -> bool:
    """The rollup triggers exist on PostgreSQL only (migration reports 0001_rollups)."""
    return connections[alias].vendor == "postgresql"


def _period_report(
    period: Period,
    department_ids: set[int] | None,
    as_of: datetime.datetime,
    from_rollups: bool | None,
) -> dict[str, Any]:
    sheets = sheets_of(period, department_ids, as_of)
    if from_rollups is None:
        from_rollups = rollups_kept(sheets.db)
    facts = facts_of(period, department_ids, as_of)
    if from_rollups:
        # The LIMIT (never reached) keeps the per-sheet rows a subquery: PostgreSQL would
        # otherwise inline each row's CASE expressions into every aggregate that reads them and
        # evaluate them once per aggregate (a fiscal year over 1M sheets: 1.2 s -> 0.7 s).
        # The follow-up figures come from the same pass over the rows (one scan less).
        per_sheet = with_sla(facts_rows(period, department_ids, as_of)).annotate(
            **follow_up_columns(True, as_of)
        )[:PER_SHEET_FENCE]
        totals = per_sheet.aggregate(**totals_of(sheets.db), **follow_up_totals(as_of))
        follow_up = follow_up_result(totals)
    else:
        per_sheet = with_sla(timeline_rows(sheets, as_of))
        totals = per_sheet.aggregate(**totals_of(sheets.db))
        follow_up = follow_up_figures(sheets, as_of)
    if connections[sheets.db].vendor == "postgresql":
        ack = {p: totals[f"ack_p{round(p * 100)}"] for p in PERCENTILES}
        contact = {p: totals[f"contact_p{round(p * 100)}"] for p in PERCENTILES}
    else:
        ack = window_percentiles(per_sheet, "ack_seconds", PERCENTILES)
        contact = window_percentiles(per_sheet, "contact_seconds", PERCENTILES)
    end_of_period = min(period.end, as_of)
    by_department = _by_department(period, department_ids, as_of, totals["sheets"], from_rollups)
    connected = sum(totals[f"outcome_{code}"] for code in CONNECTED_OUTCOMES)
    return {
        "period": {
            "kind": period.kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "as_of": as_of.astimezone(TOKYO).isoformat(),
        },
        "scope": {
            "municipality_wide": department_ids is None,
            "department_ids": None if department_ids is None else sorted(department_ids),
        },
        "sheets": totals["sheets"],
        "by_department": by_department,
        "by_concern": _by_concern(facts if from_rollups else sheets),
        "by_urgency": [
            {"code": code, "label": str(label), "sheets": totals[f"urgency_{code}"]}
            for code, label in Urgency.choices
        ],
        "by_outcome": [
            {"code": code, "label": str(label), "sheets": totals[f"outcome_{code}"]}
            for code, label in Outcome.choices
        ],
        "closed": totals["closed"],
        "withdrawn": totals["withdrawn"],
        "open_now": totals["sheets"] - totals["closed"] - totals["withdrawn"],
        "connection_rate": {
            "connected": connected,
            "closed": totals["closed"],
            "rate": share(connected, totals["closed"]),
        },
        "time_to_acknowledge": {
            "sheets": totals["acknowledged"],
            "median_seconds": seconds(ack[0.5]),
            "p90_seconds": seconds(ack[0.9]),
            "within_sla": totals["within_sla"],
            "within_sla_share": share(totals["within_sla"], totals["acknowledged"]),
        },
        "not_acknowledged": totals["sheets"] - totals["acknowledged"],
        "time_to_first_contact": {
            "sheets": totals["contacted"],
            "median_seconds": seconds(contact[0.5]),
            "p90_seconds": seconds(contact[0.9]),
            "urgent_sheets": totals["urgency_urgent"],
            "urgent_contacted_same_day": totals["urgent_contacted_same_day"],
            "urgent_same_day_share": share(
                totals["urgent_contacted_same_day"], totals["urgency_urgent"]
            ),
        },
        "overdue": totals["overdue"],
        "redirects": {
            "total": totals["redirect_events"],
            "sheets_redirected": totals["redirected"],
            "sheets_redirected_twice_or_more": totals["redirected_twice"],
        },
        "arrivals": arrival_figures(
            facts if from_rollups else sheets,
            as_of,
            municipality_wide=department_ids is None,
            sent={row["department_id"]: row["sheets"] for row in by_department}
            if from_rollups
            else None,
        ),
        "open_at_period_end": {
            "at": end_of_period.astimezone(TOKYO).isoformat(),
            "sheets": _open_at(end_of_period, department_ids, from_rollups),
        },
        "follow_up": follow_up,
    }


# --- the queries ---------------------------------------------------------------------------------


def _by_department(
    period: Period,
    department_ids: set[int] | None,
    as_of: datetime.datetime,
    total: int,
    from_rollups: bool = False,
) -> list[dict[str, Any]]:
    """Sheets by source department: every department in scope, most referrals first.

    A redirected sheet stays with its original sender's department (counted once). Sheets sent
    by desk staff rather than a department form one extra row in the municipality-wide view."""
    if from_rollups:  # the same correlated count, over the (from_department_id, sent_at) index
        sent_in_period = (
            SheetFacts.objects.filter(
                sent_at__gte=period.start,
                sent_at__lt=min(period.end, as_of),
                from_department_id=OuterRef("pk"),
            )
            .order_by()
            .values("from_department_id")
            .annotate(n=Count("*"))
            .values("n")
        )
        return _department_rows(
            _departments_with(Subquery(sent_in_period), department_ids), department_ids, total
        )
    # One count per department, correlated: each is an index-only range scan of the
    # (from_department, sent_at) index, and departments that sent nothing are listed with zero.
    sent_in_period = (
        sheets_of(period, None, as_of)
        .filter(from_department=OuterRef("pk"))
        .order_by()
        .values("from_department")
        .annotate(n=Count("*"))
        .values("n")
    )
    return _department_rows(
        _departments_with(Subquery(sent_in_period), department_ids), department_ids, total
    )


def _departments_with(
    count: Subquery, department_ids: set[int] | None
) -> list[tuple[Department, int]]:
    departments = Department.objects.annotate(sheets=Coalesce(count, Value(0))).order_by("code")
    if department_ids is not None:
        departments = departments.filter(pk__in=department_ids)
    return [(d, d.sheets) for d in departments.only("pk", "code", "name", "is_active")]


def _department_rows(
    counted: list[tuple[Department, int]], department_ids: set[int] | None, total: int
) -> list[dict[str, Any]]:
    rows = [
        {"department_id": d.pk, "code": d.code, "name": d.name, "sheets": sheets}
        for d, sheets in counted
        if d.is_active or sheets
    ]
    rows.sort(key=lambda row: -row["sheets"])  # stable: ties keep code order
    if department_ids is None:
        from_desks = total - sum(row["sheets"] for row in rows)
        rows.append(
            {"department_id": None, "code": "", "name": NOT_A_DEPARTMENT, "sheets": from_desks}
        )
    return rows


def _by_concern(sheets: QuerySet[ConnectSheet] | QuerySet[SheetFacts]) -> list[dict[str, Any]]:
    """Sheets by concern: a sheet with several concerns counts once under each.

    From the rollups (``SheetFacts``), each row's ``concern_ids`` (kept by the trigger on the
    many-to-many table) are unnested and counted; from the sheets, the many-to-many rows of the
    period's sheets are counted (at a million sheets, a hash join over every concern row)."""
    if sheets.model is SheetFacts:
        counted = _concerns_of_facts(sheets)
    else:
        through = ConnectSheet.concerns.through
        counted = dict(
            through.objects.filter(connectsheet__in=sheets.values("pk"))
            .values_list("concern_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    return [
        {"code": c.code, "name": c.name, "sheets": counted.get(c.pk, 0)}
        for c in Concern.objects.order_by("sort_order", "code")
    ]


def _concerns_of_facts(facts: QuerySet[SheetFacts]) -> dict[int, int]:
    """``{concern id: sheets}`` over the facts rows (PostgreSQL: ``unnest`` of the id arrays)."""
    try:
        sql, params = facts.order_by().values("concern_ids").query.sql_with_params()
    except EmptyResultSet:  # an empty department scope
        return {}
    with connections[facts.db].cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, count(*) FROM ({sql}) f CROSS JOIN unnest(f.concern_ids) AS c(id) "  # noqa: S608
            "GROUP BY c.id",
            params,
        )
        return dict(cursor.fetchall())


def _open_at(
    moment: datetime.datetime, department_ids: set[int] | None, from_rollups: bool = False
) -> int:
    """Sheets sent before ``moment`` and neither closed nor withdrawn before it (status as of
    the moment, from the timeline)."""
    if from_rollups:
        facts = SheetFacts.objects.filter(sent_at__lt=moment)
        if department_ids is not None:
            return (
                facts.filter(from_department_id__in=department_ids)
                .exclude(closed_at__lt=moment)
                .exclude(withdrawn_at__lt=moment)
                .count()
            )

        # A sheet has at most one terminal event, after its sending: open at the moment means
        # never ended, or ended at or after it. Both are small index reads (the partial index of
        # never-ended sheets; closures after the moment), not a count of the whole history.
        never_ended = facts.filter(closed_at__isnull=True, withdrawn_at__isnull=True)
        ended_since = facts.filter(Q(closed_at__gte=moment) | Q(withdrawn_at__gte=moment))
        return never_ended.count() + ended_since.count()
    ended = SheetEvent.objects.filter(kind__in=TERMINAL_EVENTS, at__lt=moment)
    sent = ConnectSheet.objects.filter(sent_at__lt=moment)
    if department_ids is not None:
        # A department's own history is small enough to check sheet by sheet (anti-join).
        return (
            sent.filter(from_department_id__in=department_ids)
            .exclude(Exists(ended.filter(sheet=OuterRef("pk"))))
            .count()
        )
    # Municipality-wide, two index-only counts beat an anti-join over every sheet ever sent.
    # Closed and withdrawn are final states, so a sheet has at most one terminal event, and it
    # comes after the sending: open = sent before the moment - terminal events before it.
    return sent.count() - ended.count()
