"""Per-sheet rows for the reports: one row per sheet counted in a period, with its timeline
facts (first acknowledgement, first contact, first overdue, redirects, closing outcome,
withdrawal), read either from the sheets' events (``timeline_rows``) or from the rollups kept
by PostgreSQL triggers (``facts_rows``, ``reports.SheetFacts``); ``with_sla`` adds durations
(seconds) and the SLA flag, ``totals_of`` the aggregates over those rows. The counting rules
are in docs/reports.md.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    Count,
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
from django.db.models.functions import TruncDate

from referral_hub.handoffs.models import ConnectSheet, EventKind, Outcome, SheetEvent, Urgency
from referral_hub.reports.expressions import PercentileCont, SecondsBetween
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.periods import TOKYO, Period

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


def sheets_of(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet[ConnectSheet]:
    """Sheets counted in the period: sent in it (JST), before ``as_of``, from the scope."""
    sheets = ConnectSheet.objects.filter(
        sent_at__gte=period.start, sent_at__lt=min(period.end, as_of)
    )
    if department_ids is not None:
        sheets = sheets.filter(from_department_id__in=department_ids)
    return sheets


def flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def timeline_rows(sheets: QuerySet[ConnectSheet], as_of: datetime.datetime) -> QuerySet:
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


def facts_of(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet[SheetFacts]:
    """The rollup rows of the sheets counted in the period (narrow: no ciphertext to skip)."""
    facts = SheetFacts.objects.filter(sent_at__gte=period.start, sent_at__lt=min(period.end, as_of))
    if department_ids is not None:
        facts = facts.filter(from_department_id__in=department_ids)
    return facts


def facts_rows(
    period: Period, department_ids: set[int] | None, as_of: datetime.datetime
) -> QuerySet:
    """The same rows as ``timeline_rows``, read from the rollups (one narrow row per sheet).

    Each fact carries its time, so "before ``as_of``" is decided here exactly as the timeline
    query decides it. Redirect counts: all of them when the last came before ``as_of``, none
    when the first did not; in between (a past ``as_of`` inside a sheet's redirect history) the
    sheet's redirect events are counted, which is rare and uses the (sheet, kind, at) index."""
    facts = facts_of(period, department_ids, as_of)

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
        withdrawals=flag(Q(withdrawn_at__lt=as_of)),
    )


def with_sla(timeline: QuerySet) -> QuerySet:
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
        ack_in_sla=flag(
            acknowledged
            & ((ack_in_current_period & Q(first_ack__lte=F("ack_due_at"))) | ack_in_earlier_period)
        ),
    )


def totals_of(alias: str) -> dict[str, Any]:
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
