"""ATTACK (atk2): an administrator whose own administrator membership is removed while their
"add membership" save is pending (``/admin/directory/membership/add/``) still grants it.
The Django admin decides with ``has_add_permission`` (``user.has_perm`` on the role group,
unlocked); ``MembershipAdmin.save_model`` -> ``services.add_membership`` locks the actor's
account (``lock_for_change``), so it even *waits* for the removal to commit, and then grants
the membership anyway: nothing re-asks whether the actor is still an administrator. Here the
removed administrator makes a consultant a privacy officer (audit-log reader), recorded as an
allowed ``directory.membership_added`` after their own ``directory.membership_removed``.

Claim under test (docs/operations/locks.md): no state change is decided on a membership that a
concurrently committed change already took away."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.admin import MembershipAdmin
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import fast_hashers, seed_demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_removed_admin_grants_no_membership_after_the_removal(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    admin_a = demo.user("admin")
    admin_b = demo.add_staff("atk2_admin", Role.ADMIN)
    grantee = demo.user("consult1")
    browser = Client()
    browser.force_login(admin_a)
    assert browser.get("/admin/directory/membership/add/").status_code == 200

    decided, go = threading.Event(), threading.Event()
    original = MembershipAdmin.save_model

    def pausing(self: Any, request: Any, obj: Any, form: Any, change: bool) -> None:
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()  # has_add_permission said yes
            go.wait(timeout=15)
        original(self, request, obj, form, change)

    monkeypatch.setattr(MembershipAdmin, "save_model", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def grant() -> None:
        try:
            answer["status"] = browser.post(
                "/admin/directory/membership/add/",
                {"user": grantee.pk, "role": Role.PRIVACY_OFFICER, "desk": "", "department": ""},
            ).status_code
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        try:
            for membership in Membership.objects.filter(user=admin_a, role=Role.ADMIN):
                remove_membership(membership, actor=admin_b)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=grant, name=PAUSED)
    changing = threading.Thread(target=remove)
    deciding.start()
    try:
        assert decided.wait(timeout=15), "never reached save_model"
        changing.start()
        changing.join(timeout=2.0)
        committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    assert committed_during_pause
    granted = Membership.objects.filter(user=grantee, role=Role.PRIVACY_OFFICER).exists()
    cutoff = AuditEvent.objects.filter(action="directory.membership_removed").latest("seq").seq
    late = list(
        AuditEvent.objects.filter(actor_id=admin_a.pk, allowed=True, seq__gt=cutoff).values_list(
            "action", "seq"
        )
    )
    assert not granted, (
        f"admin removed (committed) while the grant was pending; privacy-officer membership "
        f"granted anyway (answer {answer.get('status')}); allowed after removal: {late}"
    )
