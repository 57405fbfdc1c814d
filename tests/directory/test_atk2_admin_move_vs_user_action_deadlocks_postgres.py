"""ATTACK (atk2): moving a membership to another person in the Django admin
(``MembershipAdmin.save_model``, change=True: ``remove_membership`` then ``add_membership`` in
the admin's one transaction) holds the audit chain head (the removal's audit row) when it asks
for the new holder's account (``lock_for_change``). Any ordinary action of that new holder
share-locks their account first (``roles.lock_places``) and takes the chain head last (its
audit row). So a plain sign-in (``POST /api/v1/auth/token/``) of the person who is receiving the
membership, concurrent with the admin's save, deadlocks:

    sign-in of hogo_staff: FOR SHARE hogo_staff ..........> chain head (held by admin)
    admin moving consult1's post to hogo_staff: chain head -> FOR NO KEY UPDATE hogo_staff

Docs (docs/operations/locks.md) claim the exclusive holders of the row "wait for nothing but
the audit chain head, which a committing transaction releases without waiting", and "no pair of
actions deadlocks or answers 500"."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.db import connection, connections, transaction
from django.test import RequestFactory

from referral_hub.directory import roles
from referral_hub.directory.admin import MembershipAdmin
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import sign_in
from tests.fixtures_sheets import DEMO_PASSWORD, fast_hashers, seed_demo  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-signing-in"


def test_admin_moving_a_post_to_a_user_who_signs_in_does_not_deadlock(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    admin_user = demo.user("admin")
    x, y = demo.user("consult1"), demo.user("hogo_staff")
    m1 = Membership.objects.get(user=x, role=Role.CONSULTANT)

    paused, go = threading.Event(), threading.Event()
    original = roles.place_label

    def pausing(user: Any) -> str:
        label = original(user)  # the account is share-locked now
        if threading.current_thread().name == PAUSED and not paused.is_set():
            paused.set()
            go.wait(timeout=15)
        return label

    monkeypatch.setattr(roles, "place_label", pausing)
    errors: list[BaseException] = []

    def signing_in() -> None:
        try:
            sign_in(None, "hogo_staff", DEMO_PASSWORD)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def moving() -> None:
        try:
            with transaction.atomic():  # the admin change view's transaction
                obj = Membership.objects.get(pk=m1.pk)
                obj.user = y
                request = RequestFactory().post("/admin/directory/membership/")
                request.user = admin_user
                MembershipAdmin(Membership, django_admin.site).save_model(request, obj, None, True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    user_thread = threading.Thread(target=signing_in, name=PAUSED)
    admin_thread = threading.Thread(target=moving)
    user_thread.start()
    try:
        assert paused.wait(timeout=15)
        admin_thread.start()
        time.sleep(1.0)  # the admin holds the chain head and waits for hogo_staff's account
    finally:
        go.set()
        user_thread.join(timeout=30)
        admin_thread.join(timeout=30)
    assert not errors, errors
