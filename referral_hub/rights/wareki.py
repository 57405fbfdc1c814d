"""Dates as a resident reads them on an official letter: 和暦 and 西暦 side by side.

The era table comes from ``japanera`` (2.1.x, maintained, era data through 令和) rather than
our own table: an era change is announced by Cabinet order and should arrive with a library
release, not a code change here. 元年 is written for the first year, as official documents do.
"""

from __future__ import annotations

import datetime

from japanera import EraDate


def wareki(day: datetime.date) -> str:
    """``令和8年12月2日`` (``令和元年5月1日`` in the first year)."""
    era_date = EraDate.from_date(day)
    year = era_date.strftime("%-Y")
    return f"{era_date.era.kanji}{'元' if year == '1' else year}年{day.month}月{day.day}日"


def both(day: datetime.date) -> str:
    """``令和8年12月2日(2026年12月2日)``."""
    return f"{wareki(day)}({day.year}年{day.month}月{day.day}日)"


def both_with_time(moment: datetime.datetime) -> str:
    """``令和8年12月2日(2026年12月2日) 09:05``; ``moment`` already in local time."""
    return f"{both(moment.date())} {moment:%H:%M}"
