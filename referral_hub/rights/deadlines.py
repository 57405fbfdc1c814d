"""The statutory clock of a rights request (個人情報保護法 第83条, 第94条, 第102条).

A decision is due within 30 days of the request. Counting follows 民法 第140条 (the day of
receipt is not counted: day 1 is the day after) and, when the last day falls on a day the
office is closed, 地方自治法 第4条の2第4項 moves it to the next working day. An extension
(第83条第2項: up to 30 more days, with notice of the reason) counts the same way from the
original due date. Closed days come from the one office calendar (``office_calendar``).
"""

from __future__ import annotations

import datetime

from referral_hub.office_calendar import is_working_day, next_working_day

DECISION_DAYS = 30
EXTENSION_DAYS = 30
DUE_SOON_WORKING_DAYS = 3


def _counted(start: datetime.date, days: int) -> datetime.date:
    last = start + datetime.timedelta(days=days)
    return last if is_working_day(last) else next_working_day(last)


def due_on(received_on: datetime.date) -> datetime.date:
    """The 30th day counted from the day after ``received_on``, or the next working day."""
    return _counted(received_on, DECISION_DAYS)


def extended_until(due: datetime.date) -> datetime.date:
    """The 30th day counted from the day after the original due date (same rule)."""
    return _counted(due, EXTENSION_DAYS)


def working_days_left(today: datetime.date, deadline: datetime.date) -> int:
    """Working days from tomorrow up to and including ``deadline`` (0 when due today or past)."""
    count = 0
    day = today
    while day < deadline:
        day = next_working_day(day)
        if day <= deadline:
            count += 1
    return count


def is_due_soon(today: datetime.date, deadline: datetime.date) -> bool:
    """Due today or within the next 3 working days, and not yet overdue."""
    return deadline >= today and working_days_left(today, deadline) <= DUE_SOON_WORKING_DAYS
