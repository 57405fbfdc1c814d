"""Acknowledgement deadlines in office time (DESIGN.md, Urgency and SLA).

Which days are working days and when the office is open is decided by
:mod:`referral_hub.office_calendar` (weekends, public holidays, 年末年始, OFFICE_HOURS); this
module only holds the SLA table."""

from __future__ import annotations

import datetime

from django.conf import settings

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


def first_contact_due_at(accepted_at: datetime.datetime, urgency: str) -> datetime.datetime:
    """When first contact with the resident is due after 担当決定 at ``accepted_at`` (issue 20):
    the close of the ``FIRST_CONTACT_WORKING_DAYS[urgency]``-th working day after it (0: the
    same working day, or the next one when accepted on a closed day or after hours). Defaults:
    urgent 0, soon 1, normal 3."""
    days = settings.FIRST_CONTACT_WORKING_DAYS.get(urgency, 3)
    if days == 0:
        opens, closes = office_calendar.office_hours()
        moment = office_calendar.local(accepted_at)
        if office_calendar.is_working_day(moment.date()) and moment.time() < closes:
            return office_calendar.at(moment.date(), closes)
        return office_calendar.at(office_calendar.next_working_day(moment.date()), closes)
    return office_calendar.end_of_nth_working_day(accepted_at, days)
