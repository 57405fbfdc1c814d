"""ATTACK (atk2): a lead assigning a sheet to a colleague share-locks two account rows in the
order "actor first, then handler" (gate: ``lock_places(actor)``; then
``sheet_rules._is_desk_member`` -> ``roles.is_desk_staff_now(handler)``), while a membership
change locks its two rows in ascending id order (``account_lock.lock_for_change``). When the
handler is also an administrator (id lower than the lead's) who at that moment removes the
lead's membership, the two transactions wait for each other in a circle:

    assign:  FOR SHARE lead  -> FOR SHARE handler(=admin)   (waits)
    removal: FOR NO KEY UPDATE admin -> FOR NO KEY UPDATE lead   (waits)

PostgreSQL aborts one with 40P01 (API: 503 ``retry``; the admin page / service: an
OperationalError). Claim under test (docs/operations/locks.md): "no pair of actions deadlocks";
"With the row taken first by both sides there is one lock to wait for"."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.directory import roles
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.handoffs import desk_actions
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-assigning"


def test_assigning_to_an_admin_colleague_while_they_remove_the_lead_does_not_deadlock(
    fast_hashers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    admin = demo.user("admin")
    lead = demo.add_staff("atk2_lead", Role.LEAD, desk="jiritsu")  # id above the admin's
    assert admin.pk < lead.pk
    add_membership(admin, Role.CONSULTANT, desk=demo.desk("jiritsu"), actor=admin)
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    desk_actions.acknowledge(lead, sheet_id)

    paused, go = threading.Event(), threading.Event()
    original = roles.is_desk_staff_now

    def pausing(user_id: int, desk_id: int) -> bool:
        if threading.current_thread().name == PAUSED and not paused.is_set():
            paused.set()  # the lead's own row is share-locked by now
            go.wait(timeout=15)
        return original(user_id, desk_id)

    monkeypatch.setattr(roles, "is_desk_staff_now", pausing)
    errors: list[BaseException] = []

    def assign() -> None:
        try:
            desk_actions.accept(lead, sheet_id, handler_id=admin.pk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        try:
            membership = Membership.objects.get(user=lead, role=Role.LEAD)
            remove_membership(membership, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    assigning = threading.Thread(target=assign, name=PAUSED)
    removing = threading.Thread(target=remove)
    assigning.start()
    try:
        assert paused.wait(timeout=15)
        removing.start()
        time.sleep(1.0)  # the removal now holds the admin's row and waits for the lead's
    finally:
        go.set()
        assigning.join(timeout=30)
        removing.join(timeout=30)
    deadlocks = [e for e in errors if "deadlock" in str(e).lower()]
    assert not errors, f"deadlocks: {deadlocks!r}; all errors: {errors!r}"
