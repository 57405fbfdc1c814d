"""``manage.py sweep_meetings`` (and the periodic ``sweep_overdue``) close meetings whose access
period ended and leave the convener a notice; nothing more is disclosed under them."""

from __future__ import annotations

import io

from django.core.management import call_command

from referral_hub.audit.models import AuditEvent
from referral_hub.meetings.models import MeetingStatus, SupportMeeting
from tests.meetings.helpers import convene, end_access


def test_sweep_closes_expired_meetings_once_and_notifies_the_convener(demo):
    expired = convene(demo, ["tax_clerk"])
    current = convene(demo, ["tax_clerk"])
    end_access(expired)
    out = io.StringIO()

    call_command("sweep_meetings", stdout=out)
    call_command("sweep_meetings", stdout=io.StringIO())

    assert "support meetings closed: 1" in out.getvalue()
    expired.refresh_from_db()
    assert expired.status == MeetingStatus.CLOSED and expired.closed_by is None
    assert expired.convener_notice_at is not None and not expired.convener_notice_seen
    assert SupportMeeting.objects.get(pk=current.pk).status != MeetingStatus.CLOSED
    closed = AuditEvent.objects.filter(action="support_meeting.closed")
    assert [(e.target_id, e.details["by"]) for e in closed] == [(str(expired.pk), "sweep")]


def test_the_periodic_sweep_runs_the_meeting_sweep_too(demo):
    expired = convene(demo, ["tax_clerk"])
    end_access(expired)
    out = io.StringIO()

    call_command("sweep_overdue", stdout=out)

    assert "support_meetings_closed: 1" in out.getvalue()
    assert SupportMeeting.objects.get(pk=expired.pk).status == MeetingStatus.CLOSED
