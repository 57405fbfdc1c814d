"""No-drop figures of a period (issue 20; docs/reports.md): cases, stalled sheets, the
first-contact deadline met share and contact attempts per connected sheet."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from referral_hub.handoffs.models import ConnectSheet, ContactAttempt, EventKind, SheetEvent
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.numbers import share


def follow_up_figures(
    sheets: QuerySet[ConnectSheet] | QuerySet[SheetFacts], as_of: datetime.datetime
) -> dict[str, Any]:
    """No drop (issue 20; docs/reports.md), one query over the period's sheets
    (``sheet_rows.sheets_of``) or their rollup rows (``sheet_rows.facts_of``; the same figures):

    - ``cases``: linked parallel sheets count once (a sheet and those linked to it are one
      case); ``sheets`` above counts each as a referral;
    - ``stalled``: sheets flagged stalled (no contact attempt for 30 days) before ``as_of``;
    - ``first_contact_deadline``: of the accepted sheets whose first-contact deadline has
      passed or that have an attempt (``due``), those whose first attempt came by the deadline
      (``met``) and the share;
    - ``attempts_per_connected_sheet``: contact attempts on the sheets that reached
      「つながった」, divided by the number of those sheets.

    The rollup path of ``reports.figures`` computes the same aggregates inside its totals
    query (``follow_up_columns``, ``follow_up_totals``, ``follow_up_result``)."""
    per_sheet = sheets.annotate(**follow_up_columns(sheets.model is SheetFacts, as_of))
    return follow_up_result(per_sheet.aggregate(**follow_up_totals(as_of)))


def follow_up_columns(from_facts: bool, as_of: datetime.datetime) -> dict[str, Any]:
    """The per-sheet annotations the follow-up aggregates read, from the sheet and its related
    rows or from its rollup row (``SheetFacts``)."""
    attempts = ContactAttempt.objects.filter(sheet=OuterRef("pk"), at__lt=as_of).order_by()
    attempts_before = Subquery(attempts.values("sheet").annotate(n=Count("*")).values("n"))
    if from_facts:
        # Each fact keeps its time; attempts are read only for a sheet whose attempts straddle
        # as_of (as redirects in sheet_rows.facts_rows).
        return {
            "case_id": Coalesce("linked_to_id", "pk", output_field=BigIntegerField()),
            "contact_due": F("first_contact_due_at"),
            "n_attempts": Case(
                When(Q(first_attempt_at__isnull=True) | Q(first_attempt_at__gte=as_of), then=0),
                When(last_attempt_at__lt=as_of, then=F("attempts")),
                default=Coalesce(attempts_before, Value(0)),
                output_field=IntegerField(),
            ),
            "first_attempt": Case(When(first_attempt_at__lt=as_of, then=F("first_attempt_at"))),
            "was_stalled": ExpressionWrapper(
                Q(first_stalled_at__lt=as_of), output_field=BooleanField()
            ),
            "was_connected": ExpressionWrapper(
                Q(first_connected_at__lt=as_of), output_field=BooleanField()
            ),
        }
    return {
        "case_id": Coalesce("linked_to_id", "pk"),
        "contact_due": F("first_contact_due_at"),
        "n_attempts": Coalesce(attempts_before, Value(0)),
        "first_attempt": Subquery(attempts.values("sheet").annotate(m=Min("at")).values("m")),
        "was_stalled": Exists(
            SheetEvent.objects.filter(sheet=OuterRef("pk"), kind=EventKind.STALLED, at__lt=as_of)
        ),
        "was_connected": Exists(
            SheetEvent.objects.filter(sheet=OuterRef("pk"), kind=EventKind.CONNECTED, at__lt=as_of)
        ),
    }


def follow_up_totals(as_of: datetime.datetime) -> dict[str, Any]:
    """The aggregates over rows annotated with ``follow_up_columns`` (keys ``follow_up_*``)."""
    due = Q(contact_due__isnull=False) & (Q(contact_due__lt=as_of) | Q(first_attempt__isnull=False))
    return {
        "follow_up_cases": Count("case_id", distinct=True),
        "follow_up_stalled": Count("pk", filter=Q(was_stalled=True)),
        "follow_up_due": Count("pk", filter=due),
        "follow_up_met": Count("pk", filter=due & Q(first_attempt__lte=F("contact_due"))),
        "follow_up_connected": Count("pk", filter=Q(was_connected=True)),
        "follow_up_connected_attempts": Sum("n_attempts", filter=Q(was_connected=True), default=0),
    }


def follow_up_result(totals: dict[str, Any]) -> dict[str, Any]:
    """The follow-up figures from the ``follow_up_totals`` aggregates."""
    connected, attempts = totals["follow_up_connected"], totals["follow_up_connected_attempts"]
    return {
        "cases": totals["follow_up_cases"],
        "stalled": totals["follow_up_stalled"],
        "first_contact_deadline": {
            "due": totals["follow_up_due"],
            "met": totals["follow_up_met"],
            "met_share": share(totals["follow_up_met"], totals["follow_up_due"]),
        },
        "attempts_per_connected_sheet": {
            "connected_sheets": connected,
            "attempts": attempts,
            "mean": share(attempts, connected),
        },
    }
