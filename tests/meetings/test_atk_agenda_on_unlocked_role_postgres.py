"""ATTACK: a support meeting's agenda (residents on it and the reasons) is disclosed by
``meetings.selectors.agenda_for`` on ``may_see_agenda``: ``roles.has_role(actor,
PRIVACY_OFFICER)`` on memberships read without a lock, outside any decorated gate function.
A privacy officer whose membership the administrator removes while the read is pending gets
the agenda after the removal committed (the removal never waits), and every resident shown is
recorded as ``support_meeting.agenda_read`` (allowed) after ``directory.membership_removed``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from referral_hub.meetings import selectors
from tests.fixtures_sheets import Api, make_resident, seed_demo
from tests.meetings.helpers import meeting_ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "decided-and-paused"


def test_a_removed_privacy_officer_does_not_read_the_agenda_after_removal(
    fast_hashers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    resident = make_resident(demo.user("tax_clerk"))
    meeting = meeting_ready(demo, resident)
    officer = demo.user("privacy_officer")
    admin = demo.user("admin")
    reader = Api(officer)
    before = reader.get(f"/support-meetings/{meeting.pk}/")
    assert before.status == 200 and before.body.get("cases"), before.body

    decided, go = threading.Event(), threading.Event()
    original = selectors.may_see_agenda

    def pausing(meeting_: Any, actor: Any) -> bool:
        result = original(meeting_, actor)
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return result

    monkeypatch.setattr(selectors, "may_see_agenda", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get(f"/support-meetings/{meeting.pk}/")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        try:
            for membership in Membership.objects.filter(user=officer):
                remove_membership(membership, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=remove)
    deciding.start()
    try:
        assert decided.wait(timeout=15), "never reached may_see_agenda"
        changing.start()
        changing.join(timeout=1.0)
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    cutoff = min(
        AuditEvent.objects.filter(action="directory.membership_removed").values_list(
            "seq", flat=True
        )
    )
    late = list(
        AuditEvent.objects.filter(
            actor_id=officer.pk,
            allowed=True,
            seq__gt=cutoff,
            action="support_meeting.agenda_read",
        ).values_list("action", "seq")
    )
    reply = answer["reply"]
    assert late == [], (
        f"agenda read allowed after membership_removed (seq {cutoff}): {late}; "
        f"answer {reply.status} cases={reply.body.get('cases') if isinstance(reply.body, dict) else None}"
    )
