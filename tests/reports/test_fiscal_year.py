"""Fiscal years (年度, April–March): the boundary on 1 April and the monthly trend."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.reports import periods
from referral_hub.reports.figures import fiscal_year_report, fiscal_year_trend
from tests.reports.conftest import AS_OF, jst

pytestmark = pytest.mark.django_db


def test_sheets_split_at_midnight_jst_on_1_april(make_sheet, place) -> None:
    make_sheet(jst(2026, 3, 31, 23, 59, 59), department=place.shuno)
    make_sheet(jst(2026, 4, 1, 0, 0, 0), department=place.shuno)
    make_sheet(jst(2027, 3, 31, 23, 59, 59), department=place.jutaku)
    make_sheet(jst(2027, 4, 1, 0, 0, 0), department=place.jutaku)
    as_of = jst(2027, 5, 1)
    assert fiscal_year_report(2025, department_ids=None, as_of=as_of)["sheets"] == 1
    fy2026 = fiscal_year_report(2026, department_ids=None, as_of=as_of)
    assert fy2026["sheets"] == 2
    assert fy2026["period"]["start"] == "2026-04-01T00:00:00+09:00"
    assert fy2026["period"]["end"] == "2027-04-01T00:00:00+09:00"
    assert fiscal_year_report(2027, department_ids=None, as_of=as_of)["sheets"] == 1


def test_fiscal_year_report_has_the_monthly_figures_for_the_whole_year(april: dict) -> None:
    fy2025 = fiscal_year_report(2025, department_ids=None, as_of=AS_OF)
    fy2026 = fiscal_year_report(2026, department_ids=None, as_of=AS_OF)
    assert fy2025["sheets"] == 3  # Z (February), W and X (March)
    assert fy2026["sheets"] == 10  # A–I and Y (May)
    assert fy2026["period"]["kind"] == "fiscal_year"
    assert fy2026["period"]["label"] == "2026"
    # Closed by the report time: A B C I of April; W is FY2025's.
    assert fy2026["closed"] == 4
    assert fy2025["closed"] == 1
    assert fy2025["by_outcome"][2] == {
        "code": "resolved_by_information",
        "label": "情報提供で解決",
        "sheets": 1,
    }
    assert fy2025["connection_rate"] == {"connected": 0, "closed": 1, "rate": 0.0}
    # Open on 1 April 2026 00:00 JST: X W Z (W was closed on 15 April).
    assert fy2025["open_at_period_end"] == {"at": "2026-04-01T00:00:00+09:00", "sheets": 3}


def test_trend_lists_every_month_from_april_to_march(april: dict) -> None:
    trend = fiscal_year_report(2026, department_ids=None, as_of=AS_OF)["months"]
    assert [row["month"] for row in trend] == [
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
        "2027-03",
    ]
    assert [row["sheets"] for row in trend] == [9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    fy2025 = fiscal_year_trend(2025, department_ids=None, as_of=AS_OF)
    assert {row["month"]: row["sheets"] for row in fy2025 if row["sheets"]} == {
        "2026-02": 1,
        "2026-03": 2,
    }


def test_trend_counts_the_last_minute_of_a_month_in_that_month(make_sheet, place) -> None:
    make_sheet(jst(2026, 4, 30, 23, 59), department=place.shuno)
    make_sheet(jst(2026, 5, 1, 0, 0), department=place.shuno)
    trend = fiscal_year_trend(2026, department_ids=None, as_of=jst(2026, 6, 1))
    assert trend[0] == {"month": "2026-04", "sheets": 1}
    assert trend[1] == {"month": "2026-05", "sheets": 1}


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (datetime.date(2026, 3, 31), 2025),
        (datetime.date(2026, 4, 1), 2026),
        (datetime.date(2027, 1, 15), 2026),
        (datetime.date(2027, 3, 31), 2026),
    ],
)
def test_fiscal_year_of_a_date_starts_in_april(day: datetime.date, fy: int) -> None:
    assert periods.fiscal_year_of(day) == fy
