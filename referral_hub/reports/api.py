"""API v1 for the statistics: ``GET reports/monthly/?month=YYYY-MM`` and
``GET reports/fiscal-year/?year=YYYY``, as JSON or, with ``&format=csv``, as CSV for Excel."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_renderers import DocumentRenderer
from referral_hub.reports import figures, meeting_figures, periods
from referral_hub.reports.csv_export import csv_filename, report_csv
from referral_hub.reports.serializers import ErrorOut, FiscalYearReportOut, MonthlyReportOut
from referral_hub.reports.visibility import ReportScope, report_scope


class ReportCsvRenderer(DocumentRenderer):
    """``?format=csv``: the report as CSV (UTF-8 with BOM). Errors stay JSON
    ``{"code","detail"}`` whatever format was asked for, so a client can always read them."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def is_document(self, data: Any) -> bool:
        return isinstance(data, dict) and "period" in data

    def render_document(self, data: Any, request: Any) -> bytes:
        return report_csv(data)


REPORT_RENDERERS = [JSONRenderer, ReportCsvRenderer]
FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="csv: UTF-8 with BOM, Japanese headers"
)


def _errors(invalid_code: str) -> dict[Any, OpenApiResponse]:
    """Error responses: JSON whatever format was asked for."""
    return {
        (400, "application/json"): OpenApiResponse(ErrorOut, description=invalid_code),
        (403, "application/json"): OpenApiResponse(
            ErrorOut, description="reports_forbidden: the user has no role that sees reports"
        ),
    }


def _scope(request: Request) -> ReportScope:
    scope = report_scope(request.user)
    if scope is None:
        raise ApiError(
            "reports_forbidden",
            "集計を見る権限がありません。所属と役割の登録を管理者に依頼してください。",
            status.HTTP_403_FORBIDDEN,
        )
    return scope


def _respond(request: Request, report: dict[str, Any]) -> Response:
    response = Response(report)
    if getattr(request.accepted_renderer, "format", "") == "csv":
        response["Content-Disposition"] = f'attachment; filename="{csv_filename(report)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@extend_schema(
    parameters=[
        OpenApiParameter(
            "month", str, description="YYYY-MM in Japan time; default: the current month"
        ),
        FORMAT_PARAMETER,
    ],
    responses={
        (200, "application/json"): MonthlyReportOut,
        (200, "text/csv"): OpenApiTypes.STR,
        **_errors("invalid_month"),
    },
    tags=["reports"],
    operation_id="reports_monthly",
)
@api_view(["GET"])
@renderer_classes(REPORT_RENDERERS)
def monthly(request: Request) -> Response:
    """Figures for the sheets sent in one month (counts only; see docs/reports.md)."""
    scope = _scope(request)
    text = request.query_params.get("month")
    try:
        month = periods.current_month(timezone.now()) if text is None else periods.parse_month(text)
    except periods.InvalidPeriod as invalid:
        raise ApiError(invalid.code, invalid.message, status.HTTP_400_BAD_REQUEST) from None
    report = figures.monthly_report(month, department_ids=scope.as_filter())
    return _respond(request, report)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "year",
            str,
            description="fiscal year (年度) as YYYY: 2026 = April 2026 – March 2027; "
            "default: the current fiscal year",
        ),
        FORMAT_PARAMETER,
    ],
    responses={
        (200, "application/json"): FiscalYearReportOut,
        (200, "text/csv"): OpenApiTypes.STR,
        **_errors("invalid_year"),
    },
    tags=["reports"],
    operation_id="reports_fiscal_year",
)
@api_view(["GET"])
@renderer_classes(REPORT_RENDERERS)
def fiscal_year(request: Request) -> Response:
    """Figures for the sheets sent in one fiscal year, with the count of each month."""
    scope = _scope(request)
    text = request.query_params.get("year")
    try:
        fy = (
            periods.fiscal_year_of(timezone.localtime(timezone.now(), periods.TOKYO).date())
            if text is None
            else periods.parse_fiscal_year(text)
        )
    except periods.InvalidPeriod as invalid:
        raise ApiError(invalid.code, invalid.message, status.HTTP_400_BAD_REQUEST) from None
    report = figures.fiscal_year_report(fy, department_ids=scope.as_filter())
    return _respond(request, report)


class _DisclosuresOut(serializers.Serializer):
    consent = serializers.IntegerField()
    support_meeting = serializers.IntegerField()
    vital_interest = serializers.IntegerField()


class _MeetingMonthOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (JST)")
    meetings_held = serializers.IntegerField()
    residents_discussed = serializers.IntegerField()
    disclosures = _DisclosuresOut()


class _MeetingTotalsOut(serializers.Serializer):
    meetings_held = serializers.IntegerField()
    residents_discussed = serializers.IntegerField()
    disclosures = _DisclosuresOut()


class SupportMeetingReportOut(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    as_of = serializers.DateTimeField()
    months = _MeetingMonthOut(many=True)
    totals = _MeetingTotalsOut()


@extend_schema(
    parameters=[
        OpenApiParameter(
            "year", str, description="fiscal year (年度) as YYYY; default: the current one"
        )
    ],
    responses={200: SupportMeetingReportOut, **_errors("invalid_year")},
    tags=["reports"],
    operation_id="reports_support_meetings",
)
@api_view(["GET"])
def support_meetings(request: Request) -> Response:
    """Meetings held, residents discussed and disclosures per legal basis, per month (counts
    only; municipality-wide, so a clerk whose figures are limited to a department gets 403)."""
    if not _scope(request).municipality_wide:
        raise ApiError(
            "reports_forbidden",
            "支援会議の集計は市全体の集計を見られる役割だけが見られます。",
            status.HTTP_403_FORBIDDEN,
        )
    text = request.query_params.get("year")
    try:
        fy = (
            periods.fiscal_year_of(timezone.localtime(timezone.now(), periods.TOKYO).date())
            if text is None
            else periods.parse_fiscal_year(text)
        )
    except periods.InvalidPeriod as invalid:
        raise ApiError(invalid.code, invalid.message, status.HTTP_400_BAD_REQUEST) from None
    response = Response(meeting_figures.support_meeting_report(fy))
    response["Cache-Control"] = "private, no-store"
    return response
