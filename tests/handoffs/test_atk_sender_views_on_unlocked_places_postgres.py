"""ATTACK: the sending side's views (``GET /sheets/<id>/events/``, ``/messages/``,
``/handout/`` with the arrival code, audited ``sheet.handout_printed``) are decided
by ``policy.sender_relation`` alone when the consent does not cover feedback
(``handoffs.selectors.view_sheet``): no decorated gate function runs, so nothing share-locks the
reader's memberships. A clerk transferred out of the sending department while the read is
pending gets the sheet's timeline / messages after the transfer committed, and the transfer
never waits (the promise: no disclosure decided on a membership a concurrently committed
change took away; DESIGN invariant 9: "a clerk who has moved on keeps nothing")."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.consent import policy
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "decided-and-paused"


@pytest.mark.parametrize("view", ["events", "messages", "handout"])
def test_a_transferred_clerk_does_not_read_the_sent_sheet_after_the_transfer(
    fast_hashers, monkeypatch, view
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    admin = demo.user("admin")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])  # basic categories: no feedback
    sheet_id = send_ok(Api(clerk), resident, consent)
    reader = Api(demo.user("tax_clerk"))
    assert reader.get(f"/sheets/{sheet_id}/{view}/").status == 200

    decided, go = threading.Event(), threading.Event()
    original = policy.sender_relation

    def pausing(actor: Any, facts: Any) -> bool:
        result = original(actor, facts)
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return result

    monkeypatch.setattr(policy, "sender_relation", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get(f"/sheets/{sheet_id}/{view}/")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def transfer() -> None:
        try:
            for membership in Membership.objects.filter(user=clerk):
                remove_membership(membership, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=transfer)
    deciding.start()
    try:
        assert decided.wait(timeout=15)
        changing.start()
        changing.join(timeout=1.0)
        committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    reply = answer["reply"]
    from referral_hub.audit.models import AuditEvent

    cutoff = min(
        AuditEvent.objects.filter(action="directory.membership_removed").values_list(
            "seq", flat=True
        )
    )
    late = list(
        AuditEvent.objects.filter(actor_id=clerk.pk, allowed=True, seq__gt=cutoff).values_list(
            "action", "seq"
        )
    )
    assert not (reply.status == 200 and committed_during_pause), (
        f"transfer committed while the read was pending, read still answered 200: "
        f"{reply.body!r:.300}; allowed after membership_removed (seq {cutoff}): {late}"
    )
