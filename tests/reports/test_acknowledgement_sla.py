"""Share of acknowledgements within the SLA: the first acknowledgement against the deadline of
the owner period it fell in (docs/reports.md)."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.reports.figures import monthly_report
from tests.reports.conftest import jst

pytestmark = pytest.mark.django_db
MAY = datetime.date(2026, 5, 1)
AS_OF = jst(2026, 6, 1)


def within(make_sheet, place, **sheet) -> tuple[int, int]:
    make_sheet(jst(2026, 5, 11, 9, 0), department=place.shuno, **sheet)
    ack = monthly_report(MAY, department_ids=None, as_of=AS_OF)["time_to_acknowledge"]
    return ack["within_sla"], ack["sheets"]


def test_acknowledged_at_the_deadline_is_within(make_sheet, place) -> None:
    due = jst(2026, 5, 11, 10, 0)
    assert within(make_sheet, place, ack_due_at=due, events=[("acknowledged", due)]) == (1, 1)


def test_acknowledged_after_the_deadline_is_not_within(make_sheet, place) -> None:
    due = jst(2026, 5, 11, 10, 0)
    late = [("acknowledged", due + datetime.timedelta(seconds=1))]
    assert within(make_sheet, place, ack_due_at=due, events=late) == (0, 1)


def test_resent_sheet_is_judged_by_the_deadline_of_the_resent_period(make_sheet, place) -> None:
    # Returned with a question before any acknowledgement, resent three days later; the
    # stored deadline is the resent period's and the acknowledgement meets it.
    events = [
        ("returned", jst(2026, 5, 11, 10, 0)),
        ("resent", jst(2026, 5, 14, 9, 0)),
        ("acknowledged", jst(2026, 5, 14, 11, 0)),
    ]
    due = jst(2026, 5, 19, 17, 15)
    assert within(make_sheet, place, ack_due_at=due, events=events) == (1, 1)


def test_late_acknowledgement_before_a_redirect_stays_late(make_sheet, place) -> None:
    # The redirect reset the stored deadline to a later date; the overdue event recorded in the
    # first period shows the deadline passed before the acknowledgement.
    events = [
        ("overdue", jst(2026, 5, 14, 17, 20)),
        ("acknowledged", jst(2026, 5, 15, 9, 0)),
        ("redirected", jst(2026, 5, 15, 10, 0)),
    ]
    due = jst(2026, 5, 20, 17, 15)
    assert within(make_sheet, place, ack_due_at=due, events=events) == (0, 1)


def test_timely_acknowledgement_before_a_redirect_stays_timely(make_sheet, place) -> None:
    events = [
        ("acknowledged", jst(2026, 5, 11, 9, 30)),
        ("redirected", jst(2026, 5, 12, 10, 0)),
        ("overdue", jst(2026, 5, 15, 17, 20)),  # the next desk was late; not this sheet's first
    ]
    due = jst(2026, 5, 15, 17, 15)
    assert within(make_sheet, place, ack_due_at=due, events=events) == (1, 1)


def test_never_acknowledged_sheet_is_outside_the_share_but_counted_as_not_acknowledged(
    make_sheet, place
) -> None:
    make_sheet(jst(2026, 5, 11, 9, 0), department=place.shuno, events=[("overdue", AS_OF)])
    report = monthly_report(MAY, department_ids=None, as_of=AS_OF + datetime.timedelta(1))
    assert report["time_to_acknowledge"]["sheets"] == 0
    assert report["time_to_acknowledge"]["within_sla_share"] is None
    assert report["not_acknowledged"] == 1
    assert report["overdue"] == 1
