"""The statutory clock (issue 18): the 30th day counted from the day after receipt, moved to
the next working day of the one office calendar when the office is closed; same for the
30-day extension."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.rights.deadlines import due_on, extended_until, is_due_soon, working_days_left

D = datetime.date


@pytest.mark.parametrize(
    ("received", "due", "why"),
    [
        # 2 Dec + 30 days = 1 Jan (年末年始); 2-3 Jan is a weekend: Monday 4 Jan.
        (D(2026, 12, 2), D(2027, 1, 4), "year-end closure then weekend"),
        (D(2026, 12, 3), D(2027, 1, 4), "2 Jan falls in the closure"),
        # Over 年末年始 the days still count; the due day itself is a working day.
        (D(2026, 12, 28), D(2027, 1, 27), "counting runs through the closure"),
        # Friday before the Marine Day weekend: the receipt day is not counted and closed
        # days after it count as days; 16 Aug is a Sunday, so Monday 17 Aug.
        (D(2026, 7, 17), D(2026, 8, 17), "Friday before a 3-day weekend"),
        # Due on Saturday 18 July 2026, before Marine Day (Mon 20): Tuesday 21 July.
        (D(2026, 6, 18), D(2026, 7, 21), "due on a 3-day weekend"),
        # Golden Week 2026: 3 May Sun, 4-5 holidays, 6 May 振替休日 -> Thursday 7 May.
        (D(2026, 4, 4), D(2026, 5, 7), "Golden Week with a substitute holiday"),
        # Golden Week 2027: 3-5 May Mon-Wed -> Thursday 6 May.
        (D(2027, 4, 3), D(2027, 5, 6), "Golden Week"),
        (D(2026, 4, 28), D(2026, 5, 28), "a request across Golden Week is not lengthened"),
    ],
)
def test_due_on_is_the_30th_day_or_the_next_working_day(received, due, why):
    assert due_on(received) == due, why


def test_the_receipt_day_is_not_counted():
    assert due_on(D(2026, 10, 1)) == D(2026, 10, 31) + datetime.timedelta(days=2)  # Sat -> Mon
    assert due_on(D(2026, 9, 1)) == D(2026, 10, 1)


@pytest.mark.parametrize(
    ("due", "extended"),
    [
        (D(2026, 12, 1), D(2027, 1, 4)),  # 31 Dec is closed: after 年末年始 and the weekend
        (D(2026, 4, 3), D(2026, 5, 7)),  # 3 May: Golden Week and its 振替休日
        (D(2026, 7, 21), D(2026, 8, 20)),
    ],
)
def test_extension_counts_30_days_from_the_original_due_date(due, extended):
    assert extended_until(due) == extended


def test_due_soon_counts_working_days():
    friday = D(2026, 7, 17)
    # Mon 20 July is Marine Day: Tue 21, Wed 22, Thu 23 are the next three working days.
    assert working_days_left(friday, D(2026, 7, 23)) == 3
    assert is_due_soon(friday, D(2026, 7, 23))
    assert not is_due_soon(friday, D(2026, 7, 24))
    assert not is_due_soon(friday, D(2026, 7, 16))  # overdue, not "soon"
