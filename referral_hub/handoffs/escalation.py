"""The first-contact escalation ladder and the stall flag (issue 20: 丸投げしない).

After 担当決定 first contact is due by urgency (``sla.first_contact_due_at``). While no contact
attempt is recorded, the periodic sweep climbs a ladder, each rung once per sheet and owner
period (a redirect starts the new desk's ladder afresh):

===== ============================================================ ====================
rung  when (office calendar, ``office_calendar``)                  who is alerted
===== ============================================================ ====================
1     the first-contact deadline has passed                        the handler
2     ``ESCALATE_TO_LEADS_AFTER_WORKING_DAYS`` (1) working days    the desk's leads
      after the deadline
3     ``ESCALATE_TO_CHIEF_AFTER_WORKING_DAYS`` (3) working days    the desk's section
      after the deadline                                           chief (``Desk.
                                                                   section_chief``), or
                                                                   the leads if none
===== ============================================================ ====================

An open sheet with a handler and no attempt for ``STALLED_AFTER_DAYS`` (30) calendar days
(since the last attempt, or since 担当決定) is flagged ``stalled`` once; the handler and the
leads are alerted, and a new attempt clears the flag. Alerts carry ids, statuses and the rung
(DESIGN.md invariant 8).
"""

from __future__ import annotations

import datetime

from django.conf import settings

from referral_hub import office_calendar
from referral_hub.handoffs.models import ConnectSheet

HANDLER, LEADS, SECTION_CHIEF = 1, 2, 3
TOP_RUNG = SECTION_CHIEF


def rung_due(sheet: ConnectSheet, now: datetime.datetime) -> int:
    """The highest rung ``sheet`` has reached at ``now`` (0 when first contact is not late, or
    an attempt was made)."""
    due = sheet.first_contact_due_at
    if due is None or sheet.last_attempt_at is not None or now <= due:
        return 0
    chief_at = office_calendar.end_of_nth_working_day(
        due, settings.ESCALATE_TO_CHIEF_AFTER_WORKING_DAYS
    )
    if now > chief_at:
        return SECTION_CHIEF
    leads_at = office_calendar.end_of_nth_working_day(
        due, settings.ESCALATE_TO_LEADS_AFTER_WORKING_DAYS
    )
    return LEADS if now > leads_at else HANDLER


def stalled_since(sheet: ConnectSheet) -> datetime.datetime | None:
    """Since when no attempt was made: the last attempt, else 担当決定 (None before it)."""
    return sheet.last_attempt_at or sheet.accepted_at


def is_stalled(sheet: ConnectSheet, now: datetime.datetime) -> bool:
    since = stalled_since(sheet)
    return since is not None and now - since >= datetime.timedelta(days=settings.STALLED_AFTER_DAYS)
