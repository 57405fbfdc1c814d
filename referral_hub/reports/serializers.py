"""The shape of a report, for the OpenAPI schema (the views return the selector's dict as is)."""

from __future__ import annotations

from rest_framework import serializers


class PeriodOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["month", "fiscal_year"])
    label = serializers.CharField(help_text="2026-04, or 2026 for fiscal year 2026")
    start = serializers.DateTimeField(help_text="JST, inclusive")
    end = serializers.DateTimeField(help_text="JST, exclusive")
    as_of = serializers.DateTimeField(help_text="the moment the figures describe")


class ScopeOut(serializers.Serializer):
    municipality_wide = serializers.BooleanField()
    department_ids = serializers.ListField(child=serializers.IntegerField(), allow_null=True)


class DepartmentCountOut(serializers.Serializer):
    department_id = serializers.IntegerField(
        allow_null=True, help_text="null: sheets sent by desk staff, not by a department"
    )
    code = serializers.CharField()
    name = serializers.CharField()
    sheets = serializers.IntegerField()


class NamedCountOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    sheets = serializers.IntegerField()


class LabelledCountOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    sheets = serializers.IntegerField()


class ConnectionRateOut(serializers.Serializer):
    connected = serializers.IntegerField(
        help_text="closed as connected_to_support or referred_elsewhere"
    )
    closed = serializers.IntegerField()
    rate = serializers.FloatField(
        allow_null=True, help_text="connected / closed; null when none closed"
    )


class TimeToAcknowledgeOut(serializers.Serializer):
    sheets = serializers.IntegerField(help_text="sheets acknowledged at least once")
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    within_sla = serializers.IntegerField()
    within_sla_share = serializers.FloatField(allow_null=True)


class TimeToContactOut(serializers.Serializer):
    sheets = serializers.IntegerField(help_text="sheets with a first contact")
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    urgent_sheets = serializers.IntegerField()
    urgent_contacted_same_day = serializers.IntegerField()
    urgent_same_day_share = serializers.FloatField(allow_null=True)


class RedirectsOut(serializers.Serializer):
    total = serializers.IntegerField(help_text="redirect events of the period's sheets")
    sheets_redirected = serializers.IntegerField()
    sheets_redirected_twice_or_more = serializers.IntegerField()


class OpenAtEndOut(serializers.Serializer):
    at = serializers.DateTimeField()
    sheets = serializers.IntegerField()


class FirstContactDeadlineOut(serializers.Serializer):
    due = serializers.IntegerField(help_text="accepted sheets whose deadline passed or were tried")
    met = serializers.IntegerField(help_text="first attempt by the deadline")
    met_share = serializers.FloatField(allow_null=True)


class AttemptsPerConnectedOut(serializers.Serializer):
    connected_sheets = serializers.IntegerField()
    attempts = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)


class FollowUpOut(serializers.Serializer):
    """No drop (issue 20): linked sheets count once as a case, each as a referral."""

    cases = serializers.IntegerField()
    stalled = serializers.IntegerField()
    first_contact_deadline = FirstContactDeadlineOut()
    attempts_per_connected_sheet = AttemptsPerConnectedOut()


class MonthCountOut(serializers.Serializer):
    month = serializers.CharField()
    sheets = serializers.IntegerField()


class ArrivalDepartmentOut(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True, help_text="null: sent by a desk")
    code = serializers.CharField()
    sheets = serializers.IntegerField()
    arrived = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class ArrivalsOut(serializers.Serializer):
    """来所: sheets whose resident arrived at the desk (recorded by arrival code)."""

    sheets = serializers.IntegerField()
    arrived = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    median_seconds_to_arrival = serializers.FloatField(
        allow_null=True, help_text="median seconds from sending to the recorded arrival"
    )
    by_department = ArrivalDepartmentOut(many=True)


class MonthlyReportOut(serializers.Serializer):
    period = PeriodOut()
    scope = ScopeOut()
    sheets = serializers.IntegerField()
    by_department = DepartmentCountOut(many=True)
    by_concern = NamedCountOut(many=True)
    by_urgency = LabelledCountOut(many=True)
    by_outcome = LabelledCountOut(many=True)
    closed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    open_now = serializers.IntegerField()
    connection_rate = ConnectionRateOut()
    time_to_acknowledge = TimeToAcknowledgeOut()
    not_acknowledged = serializers.IntegerField()
    time_to_first_contact = TimeToContactOut()
    overdue = serializers.IntegerField()
    redirects = RedirectsOut()
    arrivals = ArrivalsOut()
    open_at_period_end = OpenAtEndOut()
    follow_up = FollowUpOut()


class FiscalYearReportOut(MonthlyReportOut):
    months = MonthCountOut(many=True)


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
