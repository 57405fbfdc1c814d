"""Support meetings made through the services, as a lead and its members would."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from referral_hub.meetings import services
from referral_hub.meetings.models import SupportMeeting


def _user(name: str) -> Any:
    return get_user_model().objects.get(username=name)


def convene(
    demo: Any,
    members: list[str],
    *,
    lead: str = "consult_lead",
    access_until: datetime.datetime | None = None,
    held_on: datetime.date | None = None,
) -> SupportMeeting:
    return services.convene(
        _user(lead),
        services.MeetingInput(
            law="art9_jiritsu",
            name="第1回 支援会議",
            held_on=held_on or timezone.localdate(),
            access_until=access_until,
            members=[_user(name).pk for name in members],
        ),
    )


def pledge_all(demo: Any, meeting: SupportMeeting, names: list[str]) -> None:
    for name in names:
        services.pledge(_user(name), meeting.pk)


def meeting_ready(demo: Any, resident: Any, *, access_until=None) -> SupportMeeting:
    """consult_lead convenes tax_clerk, consult1 and hogo_staff; tax_clerk and consult1 pledge;
    tax_clerk (who registered the resident) puts the resident on the agenda. Works with any
    seeded demo (``demo`` may be None)."""
    meeting = convene(demo, ["tax_clerk", "consult1", "hogo_staff"], access_until=access_until)
    pledge_all(demo, meeting, ["tax_clerk", "consult1"])
    services.add_case(_user("tax_clerk"), meeting.pk, resident.pk, "長期のひきこもり、世帯が困窮")
    return meeting


def end_access(meeting: SupportMeeting) -> None:
    """Let the meeting's access period end (the clock moves past access_until)."""
    SupportMeeting.objects.filter(pk=meeting.pk).update(
        access_until=timezone.now() - datetime.timedelta(seconds=1)
    )
