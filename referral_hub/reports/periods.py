"""Reporting periods in Japan time: calendar months and fiscal years (年度, April–March).

A sheet belongs to the period that contains its ``sent_at`` as seen in Asia/Tokyo, so a sheet
sent at 23:59 JST on 31 March counts for March (and for the fiscal year that ends that day),
although it is 14:59 UTC."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

# Japan time has one definition, next to the office calendar; re-exported for the reports.
from referral_hub.office_calendar import TOKYO as TOKYO

FISCAL_YEAR_FIRST_MONTH = 4  # 年度 starts on 1 April
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_PATTERN = re.compile(r"^\d{4}$")


class InvalidPeriod(ValueError):
    """A month or fiscal year that is malformed or out of the supported range."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of aware datetimes, plus how to name it."""

    kind: str  # "month" | "fiscal_year"
    label: str  # "2026-04" | "2026"
    start: datetime.datetime
    end: datetime.datetime


def month_start(month: datetime.date) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, 1, tzinfo=TOKYO)


def next_month(month: datetime.date) -> datetime.date:
    if month.month == 12:
        return datetime.date(month.year + 1, 1, 1)
    return datetime.date(month.year, month.month + 1, 1)


def month_period(month: datetime.date) -> Period:
    """The calendar month containing ``month`` (any day of it), in JST."""
    first = month.replace(day=1)
    return Period(
        kind="month",
        label=f"{first.year:04d}-{first.month:02d}",
        start=month_start(first),
        end=month_start(next_month(first)),
    )


def fiscal_year_of(day: datetime.date) -> int:
    """年度 of a date: April 2026 – March 2027 is fiscal year 2026."""
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


def fiscal_year_months(fy: int) -> list[datetime.date]:
    """The twelve first-of-month dates of fiscal year ``fy``, April first."""
    months = [datetime.date(fy, FISCAL_YEAR_FIRST_MONTH, 1)]
    while len(months) < 12:
        months.append(next_month(months[-1]))
    return months


def fiscal_year_period(fy: int) -> Period:
    return Period(
        kind="fiscal_year",
        label=str(fy),
        start=datetime.datetime(fy, FISCAL_YEAR_FIRST_MONTH, 1, tzinfo=TOKYO),
        end=datetime.datetime(fy + 1, FISCAL_YEAR_FIRST_MONTH, 1, tzinfo=TOKYO),
    )


def parse_month(text: str) -> datetime.date:
    """``YYYY-MM`` to the first day of that month; anything else raises ``InvalidPeriod``."""
    match = _MONTH_PATTERN.match(text or "")
    if not match:
        raise InvalidPeriod(
            "invalid_month", "month は YYYY-MM 形式で指定してください(例: 2026-04)。"
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidPeriod("invalid_month", "month の月は 01〜12 で指定してください。")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidPeriod(
            "invalid_month", f"month の年は {EARLIEST_YEAR}〜{LATEST_YEAR} で指定してください。"
        )
    return datetime.date(year, month, 1)


def parse_fiscal_year(text: str) -> int:
    """``YYYY`` (the calendar year in which the fiscal year starts) to an int."""
    if not _YEAR_PATTERN.match(text or ""):
        raise InvalidPeriod(
            "invalid_year",
            "year は年度を西暦4桁で指定してください(例: 2026 = 2026年4月〜2027年3月)。",
        )
    year = int(text)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidPeriod(
            "invalid_year", f"year は {EARLIEST_YEAR}〜{LATEST_YEAR} で指定してください。"
        )
    return year


def current_month(now: datetime.datetime) -> datetime.date:
    return now.astimezone(TOKYO).date().replace(day=1)
