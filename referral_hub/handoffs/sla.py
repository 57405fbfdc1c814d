"""Acknowledgement deadlines in office time (DESIGN.md, Urgency and SLA).

Working days exclude Saturdays, Sundays, Japanese public holidays (jpholiday) and the
year-end closure (29 Dec – 3 Jan, 年末年始). Office hours come from settings.OFFICE_HOURS."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import jpholiday
from django.conf import settings

TOKYO = ZoneInfo("Asia/Tokyo")


def office_hours() -> tuple[datetime.time, datetime.time]:
    start_text, end_text = settings.OFFICE_HOURS.split("-")
    return datetime.time.fromisoformat(start_text.strip()), datetime.time.fromisoformat(
        end_text.strip()
    )


def is_working_day(day: datetime.date) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return not year_end


def next_working_day(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=TOKYO)


def add_office_time(start: datetime.datetime, amount: datetime.timedelta) -> datetime.datetime:
    """``start`` plus ``amount`` of office time, skipping nights, weekends and holidays."""
    opens, closes = office_hours()
    moment = start.astimezone(TOKYO)
    remaining = amount
    day = moment.date()
    if not is_working_day(day) or moment.timetz().replace(tzinfo=None) >= closes:
        day = next_working_day(day)
        moment = _at(day, opens)
    elif moment.timetz().replace(tzinfo=None) < opens:
        moment = _at(day, opens)
    while True:
        left_today = _at(day, closes) - moment
        if remaining <= left_today:
            return moment + remaining
        remaining -= left_today
        day = next_working_day(day)
        moment = _at(day, opens)


def end_of_nth_working_day(start: datetime.datetime, n: int) -> datetime.datetime:
    """Closing time of the n-th working day after the day of ``start``."""
    _, closes = office_hours()
    day = start.astimezone(TOKYO).date()
    for _ in range(n):
        day = next_working_day(day)
    return _at(day, closes)


def ack_due_at(sent_at: datetime.datetime, urgency: str) -> datetime.datetime:
    if urgency == "urgent":
        return add_office_time(sent_at, datetime.timedelta(hours=1))
    if urgency == "soon":
        return end_of_nth_working_day(sent_at, 1)
    return end_of_nth_working_day(sent_at, 3)
