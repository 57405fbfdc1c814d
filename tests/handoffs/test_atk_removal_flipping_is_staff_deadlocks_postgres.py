"""ATTACK: ``directory.services.remove_membership`` deletes the membership (exclusive lock on
that row) and then ``roles.sync_role_groups`` updates the user row (``is_staff`` flips when
the last privacy-officer/admin membership goes). A gate decision by the same person share-locks
``FOR SHARE OF m, u`` row by row: it holds its other membership and the user row, then waits
for the deleted membership. The removal then waits for the user row: a cycle. docs say the
removal "waits for nothing but the audit chain head"; it also waits for the user row it
updates itself. Expected: no deadlock, no 500. Actual: PostgreSQL "deadlock detected"."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.directory import roles
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_removing_a_privacy_officer_role_while_they_read_does_not_deadlock(
    fast_hashers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)

    # A consultant of the desk who also serves as privacy officer (two memberships).
    dual = demo.add_staff("dual", Role.CONSULTANT, desk="jiritsu")
    add_membership(dual, Role.PRIVACY_OFFICER, actor=demo.user("admin"))
    officer_membership = Membership.objects.get(user=dual, role=Role.PRIVACY_OFFICER)
    reader = Api(demo.user("dual"))
    admin = demo.user("admin")

    deleted, go = threading.Event(), threading.Event()
    original = roles.sync_role_groups

    def paused_sync(user: Any) -> None:
        if threading.current_thread().name == "remover" and not deleted.is_set():
            deleted.set()
            go.wait(timeout=15)
        original(user)

    monkeypatch.setattr(roles, "sync_role_groups", paused_sync)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def remove() -> None:
        try:
            remove_membership(Membership.objects.get(pk=officer_membership.pk), actor=admin)
            results["removed"] = True
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def read() -> None:
        try:
            results["read"] = reader.get(f"/sheets/{sheet_id}/")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    remover = threading.Thread(target=remove, name="remover")
    remover.start()
    assert deleted.wait(timeout=15)
    reading = threading.Thread(target=read, name="reader")
    reading.start()
    time.sleep(0.4)  # the read share-locked (its other membership, the user) and waits
    go.set()
    remover.join(timeout=30)
    reading.join(timeout=30)
    assert not remover.is_alive() and not reading.is_alive(), "hung"
    assert not errors, [repr(e) for e in errors]
    answer = results["read"]
    time.sleep(1.5)  # let the statistics collector flush
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        deadlocks = cursor.fetchone()[0]
    assert deadlocks == 0, f"PostgreSQL detected {deadlocks} deadlock(s); read answered {answer}"
    assert answer.status < 500 and isinstance(answer.body, dict), (answer.status, answer.body)
