"""Monthly and fiscal-year figures about connect sheets: counts only, never names.

Every figure is aggregated by the database. A report runs a fixed number of queries whatever the
number of sheets (``MAX_QUERIES``); on PostgreSQL the percentiles are ``PERCENTILE_CONT``,
elsewhere a window-function query that returns a handful of rows. The counting rules (which
date counts, how redirects count, what "within SLA" means) are written down in docs/reports.md.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from referral_hub.directory.models import Concern, Department
from referral_hub.handoffs.models import (
    ConnectSheet,
    ContactAttempt,
    EventKind,
    Outcome,
    SheetEvent,
    Urgency,
)
from referral_hub.replica import replica_reads
from referral_hub.reports.arrivals import arrival_figures
from referral_hub.reports.expressions import PercentileCont, SecondsBetween
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.percentiles import window_percentiles
from referral_hub.reports.periods import (
    TOKYO,
    Period,
    fiscal_year_months,
    fiscal_year_period,
    month_period,
)

# Outcomes that count as "connected" for the connection rate (the definition).
CONNECTED_OUTCOMES = (Outcome.CONNECTED_TO_SUPPORT, Outcome.REFERRED_ELSEWHERE)
# Events that start a new owner period and reset ``ack_due_at``.
PERIOD_STARTS = (EventKind.REDIRECTED, EventKind.RESENT)
# Events after which a sheet is no longer open.
TERMINAL_EVENTS = (EventKind.CLOSED, EventKind.WITHDRAWN)
# The timeline events the figures read.
TIMELINE_KINDS = (
    EventKind.ACKNOWLEDGED,
    EventKind.CONTACTED,
    EventKind.OVERDUE,
    *PERIOD_STARTS,
    *TERMINAL_EVENTS,
)
PERCENTILES = (0.5, 0.9)
# Upper bound of SQL queries for one report, asserted by the tests.
MAX_QUERIES = 12  # PostgreSQL: 10 (arrivals: 3, follow-up: 1); SQLite adds two percentile queries
NOT_A_DEPARTMENT = "部署以外(窓口・その他)"


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
    sheets: QuerySet = _sheets_of(period, department_ids, as_of)
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
        return _period_report(period, department_ids, as_of, from_rollups)


def rollups_kept(alias: str) -> bool:
    """The rollup triggers exist on PostgreSQL only (migration reports 0001_rollups)."""
    return connections[alias].vendor == "postgresql"


def _period_report(
    period: Period,
    department_ids: set[int] | None,
    as_of: datetime.datetime,
    from_rollups: bool | None,
) -> dict[str, Any]:
    sheets = _sheets_of(period, department_ids, as_of)
    if from_rollups is None:
        from_rollups = rollups_kept(sheets.db)
    if from_rollups:
        per_sheet = _with_sla(_facts_rows(period, department_ids, as_of))
    else:
        per_sheet = _with_sla(_timeline_rows(sheets, as_of))
    totals = per_sheet.aggregate(**_totals(sheets.db))
    if connections[sheets.db].vendor == "postgresql":
        ack = {p: totals[f"ack_p{round(p * 100)}"] for p in PERCENTILES}
        contact = {p: totals[f"contact_p{round(p * 100)}"] for p in PERCENTILES}
    else:
        ack = window_percentiles(per_sheet, "ack_seconds", PERCENTILES)
        contact = window_percentiles(per_sheet, "contact_seconds", PERCENTILES)
    end_of_period = min(period.end, as_of)
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
        "by_department": _by_department(
            period, department_ids, as_of, totals["sheets"], from_rollups
        ),
        "by_concern": _by_concern(
            _facts_of(period, department_ids, as_of) if from_rollups else sheets
        ),
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
            "rate": _share(connected, totals["closed"]),
        },
        "time_to_acknowledge": {
            "sheets": totals["acknowledged"],
            "median_seconds": _seconds(ack[0.5]),
            "p90_seconds": _seconds(ack[0.9]),
            "within_sla": totals["within_sla"],
            "within_sla_share": _share(totals["within_sla"], totals["acknowledged"]),
        },
        "not_acknowledged": totals["sheets"] - totals["acknowledged"],
        "time_to_first_contact": {
            "sheets": totals["contacted"],
            "median_seconds": _seconds(contact[0.5]),
            "p90_seconds": _seconds(contact[0.9]),
            "urgent_sheets": totals["urgency_urgent"],
            "urgent_contacted_same_day": totals["urgent_contacted_same_day"],
            "urgent_same_day_share": _share(
                totals["urgent_contacted_same_day"], totals["urgency_urgent"]
            ),
        },
        "overdue": totals["overdue"],
        "redirects": {
            "total": totals["redirect_events"],
            "sheets_redirected": totals["redirected"],
            "sheets_redirected_twice_or_more": totals["redirected_twice"],
        },
        "arrivals": arrival_figures(sheets, as_of, municipality_wide=department_ids is None),
        "open_at_period_end": {
            "at": end_of_period.astimezone(TOKYO).isoformat(),
            "sheets": _open_at(end_of_period, department_ids, from_rollups),
        },
        "follow_up": _follow_up(sheets, as_of),
    }


# --- the queries ---------------------------------------------------------------------------------


def _sheets_of(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet[ConnectSheet]:
    """Sheets counted in the period: sent in it (JST), before ``as_of``, from the scope."""
    sheets = ConnectSheet.objects.filter(
        sent_at__gte=period.start, sent_at__lt=min(period.end, as_of)
    )
    if department_ids is not None:
        sheets = sheets.filter(from_department_id__in=department_ids)
    return sheets


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _timeline_rows(sheets: QuerySet[ConnectSheet], as_of: datetime.datetime) -> QuerySet:
    """One row per sheet with its timeline facts, from a single pass over its events.

    The per-period timestamps on the sheet are reset by a redirect, so times come from the
    first event of each kind instead."""

    def seen(*kinds: str) -> Q:
        return Q(timeline__kind__in=kinds, timeline__at__lt=as_of)

    # Only the kinds used below enter the join (sent/accepted/connected events would be about
    # half of the rows), and values() keeps the wide ciphertext columns out of the grouping.
    timeline = (
        sheets.annotate(
            timeline=FilteredRelation("events", condition=Q(events__kind__in=TIMELINE_KINDS))
        )
        .values("pk", "urgency", "sent_at", "ack_due_at")
        .annotate(
            first_ack=Min("timeline__at", filter=seen(EventKind.ACKNOWLEDGED)),
            first_contact=Min("timeline__at", filter=seen(EventKind.CONTACTED)),
            first_overdue=Min("timeline__at", filter=seen(EventKind.OVERDUE)),
            # Not limited by as_of: it tells whether the stored ack_due_at still belongs to the
            # owner period in which the first acknowledgement happened.
            last_period_start=Max("timeline__at", filter=Q(timeline__kind__in=PERIOD_STARTS)),
            redirects=Count("timeline__at", filter=seen(EventKind.REDIRECTED)),
            closed_outcome=Max("timeline__outcome", filter=seen(EventKind.CLOSED)),
            withdrawals=Count("timeline__at", filter=seen(EventKind.WITHDRAWN)),
        )
    )
    return timeline


def _facts_of(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet[SheetFacts]:
    """The rollup rows of the sheets counted in the period (narrow: no ciphertext to skip)."""
    facts = SheetFacts.objects.filter(sent_at__gte=period.start, sent_at__lt=min(period.end, as_of))
    if department_ids is not None:
        facts = facts.filter(from_department_id__in=department_ids)
    return facts


def _facts_rows(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet:
    """The same rows as ``_timeline_rows``, read from the rollups (one narrow row per sheet).

    Each fact carries its time, so "before ``as_of``" is decided here exactly as the timeline
    query decides it. Redirect counts: all of them when the last came before ``as_of``, none
    when the first did not; in between (a past ``as_of`` inside a sheet's redirect history) the
    sheet's redirect events are counted, which is rare and uses the (sheet, kind, at) index."""
    facts = _facts_of(period, department_ids, as_of)

    def before(field: str) -> Case:
        return Case(When(**{f"{field}__lt": as_of}, then=F(field)), default=None)

    redirects_between = (
        SheetEvent.objects.filter(sheet=OuterRef("pk"), kind=EventKind.REDIRECTED, at__lt=as_of)
        .order_by()
        .values("sheet")
        .annotate(n=Count("*"))
        .values("n")
    )
    return facts.values("pk", "urgency", "sent_at", "ack_due_at").annotate(
        first_ack=before("first_ack_at"),
        first_contact=before("first_contact_at"),
        first_overdue=before("first_overdue_at"),
        last_period_start=F("last_period_start_at"),
        redirects=Case(
            When(Q(first_redirect_at__isnull=True) | Q(first_redirect_at__gte=as_of), then=0),
            When(last_redirect_at__lt=as_of, then=F("redirects")),
            default=Subquery(redirects_between),
            output_field=IntegerField(),
        ),
        closed_outcome=Case(When(closed_at__lt=as_of, then=F("closed_outcome")), default=None),
        withdrawals=_flag(Q(withdrawn_at__lt=as_of)),
    )


def _with_sla(timeline: QuerySet) -> QuerySet:
    """Per-sheet durations and the SLA flag, over either source of per-sheet rows."""
    acknowledged = Q(first_ack__isnull=False)
    ack_in_current_period = Q(last_period_start__isnull=True) | Q(
        last_period_start__lt=F("first_ack")
    )
    ack_in_earlier_period = Q(last_period_start__gte=F("first_ack")) & (
        Q(first_overdue__isnull=True) | Q(first_overdue__gt=F("first_ack"))
    )
    return timeline.annotate(
        ack_seconds=SecondsBetween(F("first_ack"), F("sent_at")),
        contact_seconds=SecondsBetween(F("first_contact"), F("sent_at")),
        contact_day=TruncDate("first_contact", tzinfo=TOKYO),
    ).annotate(
        # SLA (docs/reports.md): the first acknowledgement met the deadline of the owner period
        # it fell in. That deadline is stored for the current period only; for an earlier one
        # the sweep's overdue event tells whether the deadline passed first.
        ack_in_sla=_flag(
            acknowledged
            & ((ack_in_current_period & Q(first_ack__lte=F("ack_due_at"))) | ack_in_earlier_period)
        ),
    )


def _totals(alias: str) -> dict[str, Any]:
    """The outer aggregates over the per-sheet rows."""
    totals: dict[str, Any] = {
        "sheets": Count("pk"),
        "acknowledged": Count("ack_seconds"),
        "contacted": Count("contact_seconds"),
        "within_sla": Sum("ack_in_sla", default=0),
        # DESIGN.md: an urgent sheet expects contact the same day (calendar day in JST). Compared
        # here, outside the per-sheet grouping, so the grouping stays on the sheet id alone.
        "urgent_contacted_same_day": Count(
            "pk",
            filter=Q(urgency=Urgency.URGENT, contact_day=TruncDate("sent_at", tzinfo=TOKYO)),
        ),
        "overdue": Count("first_overdue"),
        "redirect_events": Sum("redirects", default=0),
        "redirected": Count("pk", filter=Q(redirects__gte=1)),
        "redirected_twice": Count("pk", filter=Q(redirects__gte=2)),
        "closed": Count("closed_outcome"),
        "withdrawn": Count("pk", filter=Q(withdrawals__gte=1)),
    }
    for code in Urgency.values:
        totals[f"urgency_{code}"] = Count("pk", filter=Q(urgency=code))
    for code in Outcome.values:
        totals[f"outcome_{code}"] = Count("pk", filter=Q(closed_outcome=code))
    if connections[alias].vendor == "postgresql":
        for fraction in PERCENTILES:
            key = round(fraction * 100)
            totals[f"ack_p{key}"] = PercentileCont("ack_seconds", fraction)
            totals[f"contact_p{key}"] = PercentileCont("contact_seconds", fraction)
    return totals


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
        _sheets_of(period, None, as_of)
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
    """Sheets by concern: a sheet with several concerns counts once under each."""
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


def _follow_up(sheets: QuerySet[ConnectSheet], as_of: datetime.datetime) -> dict[str, Any]:
    """No drop (issue 20; docs/reports.md), one query over the period's sheets:

    - ``cases``: linked parallel sheets count once (a sheet and those linked to it are one
      case); ``sheets`` above counts each as a referral;
    - ``stalled``: sheets flagged stalled (no contact attempt for 30 days) before ``as_of``;
    - ``first_contact_deadline``: of the accepted sheets whose first-contact deadline has
      passed or that have an attempt (``due``), those whose first attempt came by the deadline
      (``met``) and the share;
    - ``attempts_per_connected_sheet``: contact attempts on the sheets that reached
      「つながった」, divided by the number of those sheets."""
    attempts = ContactAttempt.objects.filter(sheet=OuterRef("pk"), at__lt=as_of).order_by()
    per_sheet = sheets.annotate(
        case_id=Coalesce("linked_to_id", "pk"),
        n_attempts=Coalesce(
            Subquery(attempts.values("sheet").annotate(n=Count("*")).values("n")), Value(0)
        ),
        first_attempt=Subquery(attempts.values("sheet").annotate(m=Min("at")).values("m")),
        was_stalled=Exists(
            SheetEvent.objects.filter(sheet=OuterRef("pk"), kind=EventKind.STALLED, at__lt=as_of)
        ),
        was_connected=Exists(
            SheetEvent.objects.filter(sheet=OuterRef("pk"), kind=EventKind.CONNECTED, at__lt=as_of)
        ),
    )
    due = Q(first_contact_due_at__isnull=False) & (
        Q(first_contact_due_at__lt=as_of) | Q(first_attempt__isnull=False)
    )
    totals = per_sheet.aggregate(
        cases=Count("case_id", distinct=True),
        stalled=Count("pk", filter=Q(was_stalled=True)),
        due=Count("pk", filter=due),
        met=Count("pk", filter=due & Q(first_attempt__lte=F("first_contact_due_at"))),
        connected=Count("pk", filter=Q(was_connected=True)),
        connected_attempts=Sum("n_attempts", filter=Q(was_connected=True), default=0),
    )
    return {
        "cases": totals["cases"],
        "stalled": totals["stalled"],
        "first_contact_deadline": {
            "due": totals["due"],
            "met": totals["met"],
            "met_share": _share(totals["met"], totals["due"]),
        },
        "attempts_per_connected_sheet": {
            "connected_sheets": totals["connected"],
            "attempts": totals["connected_attempts"],
            "mean": _share(totals["connected_attempts"], totals["connected"]),
        },
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
