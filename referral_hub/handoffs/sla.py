"""Acknowledgement deadlines in office time (DESIGN.md, Urgency and SLA).

Which days are working days and when the office is open is decided by
:mod:`referral_hub.office_calendar` (weekends, public holidays, 年末年始, OFFICE_HOURS); this
module only holds the SLA table."""

from __future__ import annotations

import datetime

from referral_hub import office_calendar


def ack_due_at(sent_at: datetime.datetime, urgency: str) -> datetime.datetime:
    """When a sheet sent at ``sent_at`` with ``urgency`` must be acknowledged (aware, Japan
    time): ``urgent`` within one office hour, ``soon`` by the close of the next working day,
    anything else (``normal``) by the close of the third working day."""
    if urgency == "urgent":
        return office_calendar.add_office_time(sent_at, datetime.timedelta(hours=1))
    if urgency == "soon":
        return office_calendar.end_of_nth_working_day(sent_at, 1)
    return office_calendar.end_of_nth_working_day(sent_at, 3)
