"""ATTACK (atk2): ``meetings.services.convene`` decides "is the actor a lead?" with
``roles.has_role`` *before* its transaction (unlocked ``places()``, cached on the user), then
creates the meeting and records ``support_meeting.convened`` in a later transaction that never
re-asks. A lead demoted to consultant (lead membership removed, consultant membership kept)
while the convening is pending still convenes a support meeting, recorded as allowed after
``directory.membership_removed``; the removal does not wait.

Claim under test (docs/operations/locks.md): no state change is decided on a membership that a
concurrently committed change already took away."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.meetings import services
from referral_hub.meetings.models import SupportMeeting
from tests.fixtures_sheets import seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_demoted_lead_does_not_convene_after_the_demotion(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    lead = demo.user("consult_lead")
    admin = demo.user("admin")
    lead_membership = Membership.objects.get(user=lead, role=Role.LEAD)
    # The lead also works as a consultant of the same desk: a demotion keeps that place.
    add_membership(lead, Role.CONSULTANT, desk=lead_membership.desk, actor=admin)
    member = demo.user("consult1")

    decided, go = threading.Event(), threading.Event()
    original = services.plausible_meeting_day  # called right after the role was decided

    def pausing(day: Any) -> bool:
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return original(day)

    monkeypatch.setattr(services, "plausible_meeting_day", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def convene() -> None:
        try:
            answer["meeting"] = services.convene(
                lead,
                services.MeetingInput(
                    law="art9_jiritsu",
                    name="第1回 支援会議",
                    held_on=timezone.localdate(),
                    members=[member.pk],
                ),
            )
        except BaseException as exc:  # noqa: BLE001 - a refusal is the expected outcome
            answer["refused"] = exc
        finally:
            connections.close_all()

    def demote() -> None:
        try:
            remove_membership(Membership.objects.get(pk=lead_membership.pk), actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=convene, name=PAUSED)
    changing = threading.Thread(target=demote)
    deciding.start()
    try:
        assert decided.wait(timeout=15)
        changing.start()
        changing.join(timeout=2.0)
        committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    cutoff = AuditEvent.objects.filter(action="directory.membership_removed").latest("seq").seq
    late = list(
        AuditEvent.objects.filter(actor_id=lead.pk, allowed=True, seq__gt=cutoff).values_list(
            "action", "seq"
        )
    )
    assert not (committed_during_pause and "meeting" in answer), (
        f"demotion committed while convene was pending; meeting still convened "
        f"({SupportMeeting.objects.count()} meetings); allowed after removal: {late}"
    )
    assert not late, late
