"""A report runs a fixed, small number of SQL queries however many sheets there are."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referral_hub.reports.figures import MAX_QUERIES, fiscal_year_report, monthly_report
from tests.reports.conftest import AS_OF, jst

pytestmark = pytest.mark.django_db
APRIL = datetime.date(2026, 4, 1)


def queries_of(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


@pytest.mark.parametrize("scope", ["municipality", "clerk"])
def test_monthly_report_query_count_is_bounded_and_does_not_grow_with_data(
    april, make_sheet, place, django_assert_max_num_queries, scope: str
) -> None:
    departments = None if scope == "municipality" else {place.shuno.pk}

    def run() -> dict:
        return monthly_report(APRIL, department_ids=departments, as_of=AS_OF)

    with django_assert_max_num_queries(MAX_QUERIES):
        run()
    before = queries_of(run)
    for day in range(1, 29):
        make_sheet(
            jst(2026, 4, day, 10, 0),
            department=place.shuno if day % 2 else place.jutaku,
            urgency="urgent" if day % 3 == 0 else "normal",
            concerns=["debt", "illness", "family"],
            events=[
                ("acknowledged", jst(2026, 4, day, 11, 0)),
                ("redirected", jst(2026, 4, day, 12, 0)),
                ("contacted", jst(2026, 4, day, 15, 0)),
            ],
        )
    assert queries_of(run) == before
    assert run()["sheets"] > 9


def test_fiscal_year_report_adds_one_query_for_the_trend(
    april, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(MAX_QUERIES + 1):
        fiscal_year_report(2026, department_ids=None, as_of=AS_OF)


def test_postgresql_needs_no_separate_percentile_queries(april) -> None:
    count = queries_of(lambda: monthly_report(APRIL, department_ids=None, as_of=AS_OF))
    if connection.vendor == "postgresql":
        # a transaction without JIT (begin, SET LOCAL, commit: a savepoint in the test), totals
        # with percentiles and follow-up (issue 20), departments, concerns x2, open at end x2,
        # and arrivals (issue 19): arrived by department, department codes, median time to arrival
        assert count == 12
    else:
        assert count == 12  # + one window-function query per measured time
