"""The monthly statistics page (月次集計): tables and server-rendered SVG charts."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from referral_hub.directory.models import Concern, Department
from referral_hub.reports import charts, figures, periods
from referral_hub.reports.visibility import report_scope


def duration_label(seconds: float | None) -> str:
    """45分 / 3.5時間 / 2.1日 (45 min / 3.5 h / 2.1 days in English): the unit a desk lead would
    say out loud. ``seconds`` is a duration in seconds; None (no sheet measured) gives "—"."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(minutes)s分") % {"minutes": round(seconds / 60)}
    if seconds < 48 * 3600:
        return _("%(hours)s時間") % {"hours": f"{seconds / 3600:.1f}"}
    return _("%(days)s日") % {"days": f"{seconds / 86400:.1f}"}


def percent_label(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _api_url(name: str, query: str) -> str:
    try:
        return f"{reverse(name)}?{query}"
    except NoReverseMatch:  # the API is not routed in this deployment
        return ""


def _names_in_page_language(report: dict[str, Any]) -> dict[str, Any]:
    """The report with department and concern names in the page's language (English names in
    the English UI). The API and CSV keep the Japanese names: they are the stored record."""
    names = {
        "by_department": {
            d.code: d.display_name for d in Department.objects.only("code", "name", "name_en")
        },
        "by_concern": {
            c.code: c.display_name for c in Concern.objects.only("code", "name", "name_en")
        },
    }
    return report | {
        key: [row | {"name": by_code.get(row["code"], row["name"])} for row in report[key]]
        for key, by_code in names.items()
    }


def _department_chart(report: dict[str, Any]) -> charts.Chart | None:
    items = [(row["name"], row["sheets"]) for row in report["by_department"] if row["sheets"]]
    return charts.horizontal_bars(items) if items else None


def _month_label(month: str) -> str:
    """「11月」 in Japanese, "Nov" in English, for a "YYYY-MM" month."""
    return date_format(datetime.date.fromisoformat(f"{month}-01"), "M")


def _trend_chart(trend: list[dict[str, Any]], month: datetime.date) -> charts.Chart:
    label = f"{month.year:04d}-{month.month:02d}"
    items = [(_month_label(row["month"]), row["sheets"], row["month"] == label) for row in trend]
    return charts.columns(items)


def _arrival_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """来所 by sending department, named as in ``by_department`` (the page's language)."""
    names = {row["department_id"]: row["name"] for row in report["by_department"]}
    return [
        {
            **row,
            "name": names.get(row["department_id"], row["code"]),
            "rate_label": percent_label(row["rate"]),
        }
        for row in report["arrivals"]["by_department"]
    ]


@login_required
@require_GET
def monthly_page(request: HttpRequest) -> HttpResponse:
    scope = report_scope(request.user)
    if scope is None:
        raise PermissionDenied("集計を見る権限がありません。")
    text = request.GET.get("month")
    try:
        month = periods.current_month(timezone.now()) if not text else periods.parse_month(text)
    except periods.InvalidPeriod as invalid:
        return render(
            request,
            "reports/monthly.html",
            {"error": invalid.message, "month_value": text or ""},
            status=400,
        )
    report = _names_in_page_language(
        figures.monthly_report(month, department_ids=scope.as_filter())
    )
    fy = periods.fiscal_year_of(month)
    trend = figures.fiscal_year_trend(fy, department_ids=scope.as_filter())
    label = f"{month.year:04d}-{month.month:02d}"
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = periods.next_month(month)
    context = {
        "report": report,
        "as_of": datetime.datetime.fromisoformat(report["period"]["as_of"]),
        "month": month,
        "month_value": label,
        "fiscal_year": fy,
        "previous_month": f"{previous.year:04d}-{previous.month:02d}",
        "next_month": f"{following.year:04d}-{following.month:02d}",
        "department_names": [
            row["name"] for row in report["by_department"] if row["department_id"] is not None
        ],
        "department_chart": _department_chart(report),
        "trend": trend,
        "trend_chart": _trend_chart(trend, month),
        "ack_median": duration_label(report["time_to_acknowledge"]["median_seconds"]),
        "ack_p90": duration_label(report["time_to_acknowledge"]["p90_seconds"]),
        "ack_within_sla": percent_label(report["time_to_acknowledge"]["within_sla_share"]),
        "contact_median": duration_label(report["time_to_first_contact"]["median_seconds"]),
        "contact_p90": duration_label(report["time_to_first_contact"]["p90_seconds"]),
        "urgent_same_day": percent_label(report["time_to_first_contact"]["urgent_same_day_share"]),
        "connection_rate": percent_label(report["connection_rate"]["rate"]),
        "arrival_rate": percent_label(report["arrivals"]["rate"]),
        "arrival_median": duration_label(report["arrivals"]["median_seconds_to_arrival"]),
        "arrival_rows": _arrival_rows(report),
        "csv_url": _api_url("api-reports-monthly", f"month={label}&format=csv"),
        "fy_csv_url": _api_url("api-reports-fiscal-year", f"year={fy}&format=csv"),
    }
    return render(request, "reports/monthly.html", context)
