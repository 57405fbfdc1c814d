"""Every figure of April 2026's report, computed by hand from the scenario in conftest.py."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.reports.figures import NOT_A_DEPARTMENT, monthly_report
from tests.reports.conftest import AS_OF

APRIL = datetime.date(2026, 4, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def report(april: dict) -> dict:
    return monthly_report(APRIL, department_ids=None, as_of=AS_OF)


def counts(rows: list[dict], key: str = "code") -> dict:
    return {row[key]: row["sheets"] for row in rows}


def test_sheets_count_in_the_month_of_their_sending_in_japan_time(report: dict) -> None:
    # A–I; H was sent at 23:59 JST on 30 April (14:59 UTC); X (31 March 23:59) and
    # Y (1 May 00:00) belong to the neighbouring months.
    assert report["sheets"] == 9
    assert report["period"] == {
        "kind": "month",
        "label": "2026-04",
        "start": "2026-04-01T00:00:00+09:00",
        "end": "2026-05-01T00:00:00+09:00",
        "as_of": "2026-05-20T12:00:00+09:00",
    }
    assert report["scope"] == {"municipality_wide": True, "department_ids": None}


def test_sheets_by_source_department_most_referrals_first(report: dict, place) -> None:
    # shuno: A B F H; jutaku: C D I; kokuho: E; G was sent by desk staff.
    assert [(row["code"], row["sheets"]) for row in report["by_department"]] == [
        ("shuno", 4),
        ("kenchiku_jutaku", 3),
        ("kokuho_nenkin", 1),
        ("", 1),
    ]
    assert report["by_department"][0]["name"] == "収納課"
    assert report["by_department"][0]["department_id"] == place.shuno.pk
    assert report["by_department"][-1] == {
        "department_id": None,
        "code": "",
        "name": NOT_A_DEPARTMENT,
        "sheets": 1,
    }


def test_sheets_by_concern_count_each_concern_of_a_sheet(report: dict) -> None:
    by_concern = counts(report["by_concern"])
    assert {code: n for code, n in by_concern.items() if n} == {
        "economic_hardship": 3,  # A F H
        "tax_arrears": 1,  # A
        "no_food": 1,  # B
        "unstable_housing": 1,  # C
        "job_search": 1,  # C
        "debt": 2,  # D H
        "illness": 1,  # E
        "family": 1,  # G
        "household_budget": 1,  # H
        "dv": 1,  # I
    }
    assert len(by_concern) == 18  # every concern is listed, zero or not
    assert report["by_concern"][0]["name"] == "経済的困窮"


def test_sheets_by_urgency(report: dict) -> None:
    assert counts(report["by_urgency"]) == {"urgent": 2, "soon": 1, "normal": 6}
    assert [row["label"] for row in report["by_urgency"]] == ["緊急", "早め", "通常"]


def test_outcomes_and_connection_rate_among_sheets_closed_by_the_report_time(
    report: dict,
) -> None:
    # A connected_to_support, B referred_elsewhere, C unreachable, I declined (in May).
    assert counts(report["by_outcome"]) == {
        "connected_to_support": 1,
        "referred_elsewhere": 1,
        "resolved_by_information": 0,
        "declined": 1,
        "unreachable": 1,
        "duplicate": 0,
        "consent_withdrawn": 0,
    }
    assert report["closed"] == 4
    assert report["withdrawn"] == 1  # G
    assert report["open_now"] == 4  # D E F H
    assert report["connection_rate"] == {"connected": 2, "closed": 4, "rate": 0.5}


def test_time_to_acknowledge_median_p90_and_sla(report: dict) -> None:
    # First acknowledgements (s): I 900, B 1800, A 3600, E 3600, H 32460, D 255600,
    # C 320400, F 345600. Median: position 3.5 -> (3600 + 32460) / 2 = 18030.
    # p90: position 6.3 -> 320400 + 0.3 * (345600 - 320400) = 327960.
    # Within SLA: A B D E H I; not C (late) nor F (overdue before its first acknowledgement).
    assert report["time_to_acknowledge"] == {
        "sheets": 8,
        "median_seconds": 18030.0,
        "p90_seconds": 327960.0,
        "within_sla": 6,
        "within_sla_share": 0.75,
    }
    assert report["not_acknowledged"] == 1  # G


def test_time_to_first_contact_median_p90_and_urgent_same_day(report: dict) -> None:
    # First contacts (s): B 21600, A 86400, I 145800, H 554460 (6 d 10 h 1 min). Median:
    # position 1.5 -> (86400 + 145800) / 2 = 116100. p90: position 2.7 ->
    # 145800 + 0.7 * (554460 - 145800) = 431862.
    # Urgent: B (contacted the same day) and I (two days later).
    assert report["time_to_first_contact"] == {
        "sheets": 4,
        "median_seconds": 116100.0,
        "p90_seconds": 431862.0,
        "urgent_sheets": 2,
        "urgent_contacted_same_day": 1,
        "urgent_same_day_share": 0.5,
    }


def test_overdue_counts_sheets_that_ever_became_overdue(report: dict) -> None:
    assert report["overdue"] == 3  # C E F


def test_redirects_count_for_the_month_the_sheet_was_sent(report: dict) -> None:
    # D 1, E 2, F 1, H 1 (redirected on 2 May: still April's sheet).
    assert report["redirects"] == {
        "total": 5,
        "sheets_redirected": 4,
        "sheets_redirected_twice_or_more": 1,
    }


def test_open_at_month_end_includes_older_sheets_and_excludes_later_closures(
    report: dict,
) -> None:
    # Sent before 1 May 00:00 JST: A–I, X, W, Z (12; Y at 00:00 is May's).
    # Closed or withdrawn before then: A B C G W (5). I closed on 12 May: still open then.
    assert report["open_at_period_end"] == {"at": "2026-05-01T00:00:00+09:00", "sheets": 7}


def test_empty_month_has_zero_counts_and_no_times(april: dict) -> None:
    report = monthly_report(datetime.date(2025, 8, 1), department_ids=None, as_of=AS_OF)
    assert report["sheets"] == 0
    assert report["time_to_acknowledge"]["median_seconds"] is None
    assert report["time_to_acknowledge"]["within_sla_share"] is None
    assert report["connection_rate"]["rate"] is None
    assert all(row["sheets"] == 0 for row in report["by_department"])
    # Z (February 2026) was not sent yet at the end of August 2025.
    assert report["open_at_period_end"]["sheets"] == 0


def test_empty_department_scope_counts_nothing(april: dict) -> None:
    report = monthly_report(APRIL, department_ids=set(), as_of=AS_OF)
    assert report["sheets"] == 0
    assert report["by_department"] == []
    assert report["open_at_period_end"]["sheets"] == 0
    assert report["time_to_acknowledge"]["median_seconds"] is None
