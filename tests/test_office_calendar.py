"""The one office calendar (referral_hub/office_calendar.py): closed days under 地方自治法
第4条の2 (weekends, national holidays, 29 Dec – 3 Jan) and office hours from OFFICE_HOURS."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from referral_hub import office_calendar

TOKYO = ZoneInfo("Asia/Tokyo")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TOKYO)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "working"),
    [
        ("2026-11-23", False),  # 勤労感謝の日 (Monday)
        ("2026-11-24", True),
        ("2026-11-21", False),  # Saturday
        ("2026-11-22", False),  # Sunday
        ("2026-12-28", True),  # last working day of the year (仕事納め)
        ("2026-12-29", False),  # 年末年始, a Tuesday
        ("2026-12-30", False),
        ("2026-12-31", False),
        ("2027-01-01", False),  # 元日, also a national holiday
        ("2027-01-02", False),
        ("2027-01-03", False),
        ("2027-01-04", True),  # 仕事始め
        ("2026-05-04", False),  # みどりの日
        ("2026-05-06", False),  # 振替休日 for 憲法記念日 on a Sunday
        ("2026-09-22", False),  # 国民の休日 between 敬老の日 and 秋分の日
        ("2026-09-24", True),
    ],
)
def test_working_days_skip_weekends_holidays_and_the_year_end_closure(text, working):
    assert office_calendar.is_working_day(day(text)) is working


@pytest.mark.parametrize(
    ("text", "closure"),
    [
        ("2026-12-28", False),
        ("2026-12-29", True),
        ("2027-01-03", True),
        ("2027-01-04", False),
        ("2027-12-29", True),  # every year, whatever the weekday
    ],
)
def test_year_end_closure_is_29_december_to_3_january(text, closure):
    assert office_calendar.is_year_end_closure(day(text)) is closure


def test_public_holidays_come_from_the_national_holiday_act():
    assert office_calendar.is_public_holiday(day("2026-04-29"))  # 昭和の日
    assert office_calendar.is_public_holiday(day("2026-05-06"))  # 振替休日
    assert not office_calendar.is_public_holiday(day("2026-12-30"))  # closed, but no holiday
    assert not office_calendar.is_public_holiday(day("2026-11-21"))  # a plain Saturday


def test_next_working_day_jumps_over_the_year_end_and_a_long_weekend():
    assert office_calendar.next_working_day(day("2026-12-28")) == day("2027-01-04")
    assert office_calendar.next_working_day(day("2026-11-20")) == day("2026-11-24")
    assert office_calendar.next_working_day(day("2026-11-18")) == day("2026-11-19")


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-11-18 08:29:59", False),
        ("2026-11-18 08:30:00", True),  # opening time is inside
        ("2026-11-18 17:14:59", True),
        ("2026-11-18 17:15:00", False),  # closing time is outside
        ("2026-11-18 23:59:00", False),
        ("2026-11-21 10:00:00", False),  # Saturday
        ("2026-12-30 10:00:00", False),  # 年末年始
        ("2027-01-04 08:30:00", True),
    ],
)
def test_office_time_boundaries(moment, open_):
    assert office_calendar.is_office_time(at(moment)) is open_


def test_office_time_is_judged_in_japan_time_whatever_the_input_zone():
    # 23:45 UTC on Tuesday is 08:45 JST on Wednesday: open.
    utc = datetime.datetime(2026, 11, 17, 23, 45, tzinfo=datetime.UTC)
    assert office_calendar.is_office_time(utc) is True
    # 08:00 UTC on Wednesday is 17:00 JST: still open; 08:15 UTC is 17:15 JST: closed.
    assert office_calendar.is_office_time(utc + datetime.timedelta(hours=8, minutes=15)) is True
    assert office_calendar.is_office_time(utc + datetime.timedelta(hours=8, minutes=30)) is False


def test_office_hours_come_from_settings(settings):
    settings.OFFICE_HOURS = "09:00-17:00"
    assert office_calendar.office_hours() == (datetime.time(9, 0), datetime.time(17, 0))
    assert office_calendar.is_office_time(at("2026-11-18 08:45")) is False
    assert office_calendar.is_office_time(at("2026-11-18 16:59")) is True
    assert office_calendar.is_office_time(at("2026-11-18 17:00")) is False


@pytest.mark.parametrize("raw", ["8:30", "17:15-08:30", "08:30-25:00", "morning-evening"])
def test_malformed_office_hours_are_a_configuration_error_naming_the_value(settings, raw):
    settings.OFFICE_HOURS = raw
    with pytest.raises(office_calendar.OfficeHoursError, match="OFFICE_HOURS"):
        office_calendar.office_hours()


def test_office_time_added_across_the_night_and_the_year_end():
    one_hour = datetime.timedelta(hours=1)
    assert office_calendar.add_office_time(at("2026-11-18 16:45"), one_hour) == at(
        "2026-11-19 09:00"
    )
    assert office_calendar.add_office_time(at("2026-12-28 16:45"), one_hour) == at(
        "2027-01-04 09:00"
    )
    assert office_calendar.add_office_time(at("2026-11-18 07:00"), one_hour) == at(
        "2026-11-18 09:30"
    )


def test_end_of_the_nth_working_day():
    assert office_calendar.end_of_nth_working_day(at("2026-12-25 10:00"), 3) == at(
        "2027-01-05 17:15"
    )
    assert office_calendar.end_of_nth_working_day(at("2026-11-18 10:00"), 0) == at(
        "2026-11-18 17:15"
    )
