"""来所 figures of the monthly report (issue 19), computed by hand.

May 2026, five sheets:
- shuno  P: sent 5/11 09:00, arrived 5/11 10:00  -> 3600 s
- shuno  Q: sent 5/12 09:00, arrived 5/13 09:00  -> 86400 s
- shuno  R: sent 5/13 09:00, not arrived
- jutaku S: sent 5/14 09:00, arrived 5/14 09:30  -> 1800 s
- jutaku T: sent 5/15 09:00, arrived 5/21 09:00  -> after as_of (5/20 12:00): not counted
- desk   U: sent 5/18 09:00 by desk staff, arrived 5/18 13:00 -> 14400 s
Arrived before as_of: P Q S U = 4 of 6 (rate 0.6667). Median of 1800, 3600, 14400, 86400
= (3600 + 14400) / 2 = 9000 s. shuno 2/3 = 0.6667, jutaku 1/2 = 0.5, desk row 1/1 = 1.0.
"""

from __future__ import annotations

import datetime

import pytest

from referral_hub.handoffs.models import ConnectSheet
from referral_hub.reports.csv_export import report_rows
from referral_hub.reports.figures import monthly_report
from tests.reports.conftest import jst

pytestmark = pytest.mark.django_db
MAY = datetime.date(2026, 5, 1)
AS_OF = jst(2026, 5, 20, 12, 0)


@pytest.fixture
def may(make_sheet, place):
    def sheet(sent, arrived, **kwargs):
        made = make_sheet(sent, **kwargs)
        ConnectSheet.objects.filter(pk=made.pk).update(arrived_at=arrived)
        return made

    sheet(jst(2026, 5, 11, 9), jst(2026, 5, 11, 10), department=place.shuno)
    sheet(jst(2026, 5, 12, 9), jst(2026, 5, 13, 9), department=place.shuno)
    sheet(jst(2026, 5, 13, 9), None, department=place.shuno)
    sheet(jst(2026, 5, 14, 9), jst(2026, 5, 14, 9, 30), department=place.jutaku)
    sheet(jst(2026, 5, 15, 9), jst(2026, 5, 21, 9), department=place.jutaku)
    sheet(jst(2026, 5, 18, 9), jst(2026, 5, 18, 13), from_desk=place.kakei)


def test_arrival_rate_by_sending_department_and_median_time_to_arrival(may, place):
    arrivals = monthly_report(MAY, department_ids=None, as_of=AS_OF)["arrivals"]

    assert (arrivals["sheets"], arrivals["arrived"], arrivals["rate"]) == (6, 4, 0.6667)
    assert arrivals["median_seconds_to_arrival"] == 9000.0
    rows = {(r["code"], r["sheets"], r["arrived"], r["rate"]) for r in arrivals["by_department"]}
    assert rows == {
        ("kenchiku_jutaku", 2, 1, 0.5),
        ("shuno", 3, 2, 0.6667),
        ("", 1, 1, 1.0),
    }


def test_a_department_scope_sees_its_own_arrivals_only(may, place):
    arrivals = monthly_report(MAY, department_ids={place.shuno.pk}, as_of=AS_OF)["arrivals"]

    assert (arrivals["sheets"], arrivals["arrived"], arrivals["rate"]) == (3, 2, 0.6667)
    # shuno alone: 3600 and 86400 -> (3600 + 86400) / 2
    assert arrivals["median_seconds_to_arrival"] == 45000.0
    assert [r["code"] for r in arrivals["by_department"]] == ["shuno"]


def test_no_arrivals_give_no_rate_and_no_median(place):
    arrivals = monthly_report(MAY, department_ids=None, as_of=AS_OF)["arrivals"]
    assert arrivals == {
        "sheets": 0,
        "arrived": 0,
        "rate": None,
        "median_seconds_to_arrival": None,
        "by_department": [],
    }


def test_the_csv_has_the_arrival_rows(may):
    rows = report_rows(monthly_report(MAY, department_ids=None, as_of=AS_OF))
    assert ["来所", "来所したシート", "", "4"] in rows
    assert ["来所", "来所率(%)", "", "66.7"] in rows
    assert ["来所", "送信から来所までの中央値(秒)", "", "9000.0"] in rows
    assert ["来所率(送った部署別、%)", "shuno", "", "66.7"] in rows
