"""The municipal office calendar: which days the counters are open, and their office hours.

Every rule that depends on "a working day" or "office hours" asks this module: acknowledgement
deadlines (``handoffs.sla``), the audit anomaly report (reads outside office hours), reports and
any future deadline. It lives at the top of the package, next to ``environment``, because it
depends on no app (only settings and jpholiday), so the low layers (``audit``, which may import
no domain app, DESIGN.md) and the domain apps can all import it.

A day is closed (閉庁日) when it is, per 地方自治法 第4条の2 (the holidays of a local
government):

* a Saturday or a Sunday;
* a national holiday under 国民の祝日に関する法律, including 振替休日 and 国民の休日
  (``jpholiday``);
* in the year-end and New Year closure, 29 December – 3 January (年末年始), which the
  municipality's 休日条例 sets under the same article.

Times are in Japan time (Asia/Tokyo) whatever the zone of the input.
"""

from __future__ import annotations

import datetime
import functools
from zoneinfo import ZoneInfo

import jpholiday
from django.conf import settings

TOKYO = ZoneInfo("Asia/Tokyo")
DEFAULT_OFFICE_HOURS = "08:30-17:15"


class OfficeHoursError(ValueError):
    """``settings.OFFICE_HOURS`` is not ``"HH:MM-HH:MM"`` with the opening before the closing."""


def office_hours() -> tuple[datetime.time, datetime.time]:
    """``settings.OFFICE_HOURS`` (``"08:30-17:15"``) as ``(opens, closes)``, local times.

    Raises :class:`OfficeHoursError` when the setting is malformed."""
    raw = getattr(settings, "OFFICE_HOURS", "") or DEFAULT_OFFICE_HOURS
    try:
        start_text, end_text = (part.strip() for part in raw.split("-", 1))
        opens, closes = (
            datetime.time.fromisoformat(start_text),
            datetime.time.fromisoformat(end_text),
        )
    except ValueError as exc:
        raise OfficeHoursError(f"OFFICE_HOURS must look like 08:30-17:15, got {raw!r}") from exc
    if opens >= closes:
        raise OfficeHoursError(f"OFFICE_HOURS must open before it closes, got {raw!r}")
    return opens, closes


def is_year_end_closure(day: datetime.date) -> bool:
    """29 December – 3 January (年末年始)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


@functools.lru_cache(maxsize=2048)
def is_public_holiday(day: datetime.date) -> bool:
    """A national holiday, 振替休日 or 国民の休日 (国民の祝日に関する法律). Cached: the
    anomaly report asks once per read, and the table only changes with the jpholiday release."""
    return bool(jpholiday.is_holiday(day))


def is_working_day(day: datetime.date) -> bool:
    """Monday to Friday, not a public holiday, not in the year-end closure."""
    return day.weekday() < 5 and not is_public_holiday(day) and not is_year_end_closure(day)


def next_working_day(day: datetime.date) -> datetime.date:
    """The first working day strictly after ``day``."""
    day += datetime.timedelta(days=1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def local(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` (aware) in Japan time."""
    return moment.astimezone(TOKYO)


def at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware instant of ``time`` on ``day`` in Japan time."""
    return datetime.datetime.combine(day, time, tzinfo=TOKYO)


def is_office_time(moment: datetime.datetime) -> bool:
    """Whether the counters are open at ``moment``: a working day, from the opening time
    (inclusive) to the closing time (exclusive)."""
    opens, closes = office_hours()
    moment = local(moment)
    return is_working_day(moment.date()) and opens <= moment.time() < closes


def add_office_time(start: datetime.datetime, amount: datetime.timedelta) -> datetime.datetime:
    """``start`` plus ``amount`` of office time, skipping nights and closed days. Time before
    the opening or after the closing counts from the next opening."""
    opens, closes = office_hours()
    moment = local(start)
    day = moment.date()
    if not is_working_day(day) or moment.time() >= closes:
        day = next_working_day(day)
        moment = at(day, opens)
    elif moment.time() < opens:
        moment = at(day, opens)
    remaining = amount
    while True:
        left_today = at(day, closes) - moment
        if remaining <= left_today:
            return moment + remaining
        remaining -= left_today
        day = next_working_day(day)
        moment = at(day, opens)


def end_of_nth_working_day(start: datetime.datetime, n: int) -> datetime.datetime:
    """Closing time of the ``n``-th working day after the (Japan-time) day of ``start``."""
    _, closes = office_hours()
    day = local(start).date()
    for _ in range(n):
        day = next_working_day(day)
    return at(day, closes)
