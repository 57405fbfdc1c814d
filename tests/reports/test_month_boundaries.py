"""Edges of a month: the last minute in JST, redirects and closures after the month."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.reports.figures import monthly_report
from tests.reports.conftest import AS_OF, jst

pytestmark = pytest.mark.django_db


def test_sheet_sent_at_2359_jst_on_the_last_day_counts_in_that_month(april: dict) -> None:
    # X: 31 March 23:59 JST; H: 30 April 23:59 JST (14:59 UTC); Y: 1 May 00:00 JST, which is
    # 30 April 15:00 UTC and must not count for April.
    march = monthly_report(datetime.date(2026, 3, 1), department_ids=None, as_of=AS_OF)
    may = monthly_report(datetime.date(2026, 5, 1), department_ids=None, as_of=AS_OF)
    assert march["sheets"] == 2  # W, X
    assert may["sheets"] == 1  # Y


def test_redirect_in_the_next_month_counts_for_the_month_the_sheet_was_sent(
    april: dict,
) -> None:
    # H (April) was redirected on 2 May: May's report has no redirects.
    may = monthly_report(datetime.date(2026, 5, 1), department_ids=None, as_of=AS_OF)
    assert may["redirects"] == {
        "total": 0,
        "sheets_redirected": 0,
        "sheets_redirected_twice_or_more": 0,
    }


def test_sheet_closed_in_the_next_month_is_closed_for_a_later_report_but_not_at_month_end(
    april: dict,
) -> None:
    month_end = jst(2026, 5, 1, 0, 0)
    at_month_end = monthly_report(datetime.date(2026, 4, 1), department_ids=None, as_of=month_end)
    later = monthly_report(datetime.date(2026, 4, 1), department_ids=None, as_of=AS_OF)
    # I was closed (declined) on 12 May.
    assert later["closed"] == 4
    assert at_month_end["closed"] == 3  # A B C
    assert at_month_end["connection_rate"] == {"connected": 2, "closed": 3, "rate": 0.6667}
    assert at_month_end["open_now"] == 5  # D E F H I
    # H was acknowledged on 1 May 09:00 and redirected on 2 May: neither had happened yet.
    assert at_month_end["time_to_acknowledge"]["sheets"] == 7
    assert at_month_end["redirects"]["total"] == 4
    # The month-end open count is the same whenever the report is made.
    assert at_month_end["open_at_period_end"] == later["open_at_period_end"]


def test_report_of_a_month_in_progress_stops_at_the_report_time(april: dict) -> None:
    mid_april = jst(2026, 4, 15, 12, 0)
    report = monthly_report(datetime.date(2026, 4, 1), department_ids=None, as_of=mid_april)
    # A B C D E (sent by noon on 15 April); E's redirects came later.
    assert report["sheets"] == 5
    assert report["redirects"]["total"] == 1  # D
    assert report["open_at_period_end"]["at"] == "2026-04-15T12:00:00+09:00"
    # Sent before then: A–E, X, W, Z (8); closed before then: A, B and W (10:00 on the 15th).
    assert report["open_at_period_end"]["sheets"] == 5
