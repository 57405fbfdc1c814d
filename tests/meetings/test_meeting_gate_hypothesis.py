"""Property test of the support-meeting rule of THE gate (issue 17 acceptance): over random
meetings, memberships, pledges, agendas and clocks, a disclosure on the ``support_meeting``
basis is allowed if and only if the meeting is open, both sides pledged and the resident is on
the agenda; every allowed one is in the privacy officer's review queue naming the meeting;
after ``access_until`` nothing more is disclosed under it."""

from __future__ import annotations

import datetime

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.consent import policy
from referral_hub.meetings import services
from referral_hub.meetings.models import MeetingCase, MeetingStatus, SupportMeeting
from tests.fixtures_sheets import make_resident

# Staff who may be members, and the desk each represents (None: a department, 収納課).
STAFF = {
    "consult_lead": "jiritsu",
    "consult1": "jiritsu",
    "consult2": "jiritsu",
    "hogo_staff": "seikatsu_hogo",
    "tax_clerk": None,
}
# (purpose, actor, the recipient desk: the destination of a send, the reading desk of a read)
REQUESTS = [
    ("sheet.send", "tax_clerk", "jiritsu"),
    ("sheet.send", "tax_clerk", "seikatsu_hogo"),
    ("sheet.send", "consult1", "seikatsu_hogo"),
    ("sheet.redirect", "consult2", "seikatsu_hogo"),
    ("sheet.read", "consult1", "jiritsu"),
    ("sheet.read", "hogo_staff", "seikatsu_hogo"),
    ("attachment.read", "consult2", "jiritsu"),
]
GATE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@GATE_SETTINGS
@given(
    members=st.sets(st.sampled_from(sorted(STAFF))),
    pledged=st.sets(st.sampled_from(sorted(STAFF))),
    on_agenda=st.booleans(),
    # The clock: access_until from three days ago to three days ahead (never within a minute
    # of now, so the test's own run time cannot cross it).
    minutes_left=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60).filter(
        lambda m: abs(m) > 1
    ),
    closed=st.booleans(),
    request=st.sampled_from(REQUESTS),
)
def test_support_meeting_disclosure_allowed_iff_open_pledged_and_on_agenda(
    demo, members, pledged, on_agenda, minutes_left, closed, request
):
    purpose, actor_name, desk_code = request
    actor = demo.user(actor_name)
    resident = make_resident(demo.user("tax_clerk"), family_kana="コウホ")
    meeting = services.convene(
        demo.user("consult_lead"),
        services.MeetingInput(
            law="child_25_2",
            name="要対協 個別ケース検討会議",
            held_on=timezone.localdate(),
            members=[demo.user(n).pk for n in members],
        ),
    )
    members = members | {"consult_lead"}  # the convener is a member
    signed = pledged & members
    for name in signed:
        services.pledge(demo.user(name), meeting.pk)
    if on_agenda:
        MeetingCase.objects.create(
            meeting=meeting,
            resident=resident,
            reason="検討事例",
            added_by=demo.user("consult_lead"),
            added_at=timezone.now(),
        )
    access_until = timezone.now() + datetime.timedelta(minutes=minutes_left)
    SupportMeeting.objects.filter(pk=meeting.pk).update(
        access_until=access_until,
        status=MeetingStatus.CLOSED if closed else MeetingStatus.HELD,
    )
    desk = demo.desk(desk_code)

    decision = policy.authorize(
        actor,
        resident,
        desk,
        ["identity", "concern"],
        purpose,
        basis="support_meeting",
        justification="支援会議で検討した事例",
        support_meeting=meeting.pk,
    )

    is_open = not closed and minutes_left > 0
    actor_pledged = actor_name in signed
    desk_pledged = any(STAFF[name] == desk_code for name in signed)
    expected = is_open and actor_pledged and desk_pledged and on_agenda
    if purpose == "sheet.send" and actor_name != "tax_clerk":
        # Sending also needs a relationship to the resident (invariant 9); tax_clerk has it.
        expected = False
    if purpose in {"sheet.read", "attachment.read"}:
        # Only the reading desk's own staff read (the gate's first rule).
        expected = expected and STAFF[actor_name] == desk_code
    assert decision.allowed == expected, (decision.code, decision.detail)

    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.allowed, event.legal_basis) == (
        purpose,
        expected,
        "support_meeting",
    )
    assert event.details["support_meeting"] == meeting.pk
    if expected:
        # Every allowed one is in the review queue, naming the meeting.
        review = DisclosureReview.objects.get(event=event)
        assert review.status == "pending"
    else:
        assert not DisclosureReview.objects.filter(event=event).exists()
        if not is_open and (purpose, actor_name) == ("sheet.send", "tax_clerk"):
            # Only a member learns the meeting is closed; anyone else hears of no meeting.
            closed_code = "support_meeting_closed" if "tax_clerk" in members else None
            assert decision.code == (closed_code or "support_meeting_required")
    if minutes_left < 0:
        # After access_until nothing more is disclosed under the meeting.
        assert not decision.allowed
