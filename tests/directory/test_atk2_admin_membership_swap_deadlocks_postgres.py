"""ATTACK (atk2): the Django admin's membership change (``/admin/directory/membership/<id>/change/``,
``MembershipAdmin.save_model`` with ``change=True``) runs ``remove_membership`` for the old
holder and then ``add_membership`` for the new one in ONE transaction. Each call takes
``account_lock.lock_for_change`` on its own pair of accounts in ascending id, but the two calls
together lock "old holder, then new holder", whatever their ids. Two administrators who move
two memberships between the same two people in opposite directions (a swap of posts, done from
two screens) wait for each other in a circle:

    admin A: moves consult1's membership to hogo_staff: locks consult1 (+A), then hogo_staff
    admin B: moves hogo_staff's membership to consult1: locks hogo_staff (+B), then consult1

Observed: the circle closes on ``audit_chainhead``: ``remove_membership`` already wrote its
audit row (holding the chain head) before ``add_membership`` asks for the new holder's account,
so A holds the chain head and waits for hogo_staff's account, while B holds hogo_staff's
account and waits for the chain head. PostgreSQL aborts one with "deadlock detected" (the
admin page answers 500).
Claim under test (docs/operations/locks.md): membership changes lock accounts in ascending id,
"so two changes never wait for each other in a circle"; no pair of actions deadlocks."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.db import connection, connections, transaction
from django.test import RequestFactory

from referral_hub.directory import services
from referral_hub.directory.admin import MembershipAdmin
from referral_hub.directory.models import Membership, Role
from tests.fixtures_sheets import fast_hashers, seed_demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-moving"


def _move(admin_user: Any, membership_pk: int, to_user: Any) -> None:
    """What the admin change view does: in its transaction, save_model(change=True)."""
    with transaction.atomic():
        obj = Membership.objects.get(pk=membership_pk)
        obj.user = to_user
        request = RequestFactory().post("/admin/directory/membership/")
        request.user = admin_user
        MembershipAdmin(Membership, django_admin.site).save_model(request, obj, None, True)


def test_two_admins_swapping_posts_do_not_deadlock(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    admin_a = demo.user("admin")
    admin_b = demo.add_staff("atk2_admin", Role.ADMIN)
    x, y = demo.user("consult1"), demo.user("hogo_staff")
    m1 = Membership.objects.get(user=x, role=Role.CONSULTANT)
    m2 = Membership.objects.get(user=y, role=Role.CONSULTANT)

    paused, go = threading.Event(), threading.Event()
    original = services.add_membership

    def pausing(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == PAUSED and not paused.is_set():
            paused.set()  # the removal of the old holder's membership holds its account
            go.wait(timeout=15)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "add_membership", pausing)
    errors: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=run, args=(lambda: _move(admin_a, m1.pk, y),), name=PAUSED)
    second = threading.Thread(target=run, args=(lambda: _move(admin_b, m2.pk, x),))
    first.start()
    try:
        assert paused.wait(timeout=15)
        second.start()
        time.sleep(1.0)  # B now holds hogo_staff's account and waits for consult1's
    finally:
        go.set()
        first.join(timeout=30)
        second.join(timeout=30)
    assert not errors, errors
