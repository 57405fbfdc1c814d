"""A support meeting's agenda (the residents on it and the reasons) is decided on the reader's
locked account (``meetings.selectors.agenda_for`` carries ``@decided_on_locked_facts``; issue
14, docs/operations/locks.md). Found by an attack: a privacy officer whose membership was
removed while the read was pending got the agenda, each resident recorded as an allowed
``support_meeting.agenda_read`` after ``directory.membership_removed``."""

from __future__ import annotations

import pytest
from django.utils import timezone

from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.meetings import selectors, services
from tests.fixtures_sheets import Api, make_resident, seed_demo
from tests.meetings.helpers import meeting_ready
from tests.races import allowed_after, pause_after, race, removal, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_removed_privacy_officer_does_not_read_the_agenda(on_postgres, fast_hashers, monkeypatch):
    demo = seed_demo()
    meeting = meeting_ready(demo, make_resident(demo.user("tax_clerk")))
    officer = demo.user("privacy_officer")
    reader = Api(officer)
    assert reader.get(f"/support-meetings/{meeting.pk}/").body.get("cases")

    outcome = race(
        pause_after(monkeypatch, (selectors, "may_see_agenda")),
        lambda: reader.get(f"/support-meetings/{meeting.pk}/"),
        removal(officer, demo.user("admin")),
    )

    assert outcome.answer.status < 500, outcome.answer
    late = allowed_after(officer.pk, removed_seq(), ("support_meeting.agenda_read",))
    assert late == [], (late, outcome.answer)


def test_a_demoted_lead_convenes_nothing(on_postgres, fast_hashers, monkeypatch):
    """The lead role is decided again inside ``convene``'s transaction (it was checked only
    before it): a lead demoted to consultant meanwhile is refused."""
    demo = seed_demo()
    lead = demo.user("consult_lead")
    admin = demo.user("admin")
    lead_membership = Membership.objects.get(user=lead, role=Role.LEAD)
    add_membership(lead, Role.CONSULTANT, desk=lead_membership.desk, actor=admin)
    data = services.MeetingInput(
        law="art9_jiritsu",
        name="第1回 支援会議",
        held_on=timezone.localdate(),
        members=[demo.user("consult1").pk],
    )

    def convene() -> object:
        try:
            return services.convene(lead, data)
        except services.MeetingRefused as refused:
            return refused

    outcome = race(
        pause_after(monkeypatch, (services, "plausible_meeting_day")),
        convene,
        lambda: remove_membership(Membership.objects.get(pk=lead_membership.pk), actor=admin),
    )

    assert outcome.change_committed_during_pause
    assert isinstance(outcome.answer, services.MeetingRefused), outcome.answer
    assert allowed_after(lead.pk, removed_seq()) == []
