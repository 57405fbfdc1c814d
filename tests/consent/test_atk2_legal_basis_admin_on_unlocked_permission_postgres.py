"""ATTACK (atk2): the privacy officer maintains the legal bases in the Django admin
(``/admin/consent/legalbasis/<id>/change/``, ``consent/admin.py: LegalBasisAdmin``). The admin
decides with ``has_change_permission`` (``user.has_perm`` on the role group, unlocked, read
before anything is locked) and ``save_model`` saves and records an allowed
``directory.legal_basis_changed`` without asking again on the locked account. A privacy officer
whose membership is removed while the save is pending still switches off
``requires_review`` (a fact every later disclosure on that basis is decided on); the change
is recorded as allowed after ``directory.membership_removed`` and the removal never waits.

Claim under test (docs/operations/locks.md): no state change is decided on a membership (or
the permissions it grants) that a concurrently committed change already took away."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.admin import LegalBasisAdmin
from referral_hub.consent.models import LegalBasis
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import fast_hashers, seed_demo  # noqa: F401 - fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_removed_officer_does_not_change_a_legal_basis_after_the_removal(
    fast_hashers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    officer = demo.user("privacy_officer")
    admin_user = demo.user("admin")
    basis = LegalBasis.objects.filter(requires_review=True).order_by("pk").first()
    if basis is None:
        basis = LegalBasis.objects.order_by("pk").first()
        LegalBasis.objects.filter(pk=basis.pk).update(requires_review=True)
        basis.refresh_from_db()
    browser = Client()
    browser.force_login(officer)
    url = f"/admin/consent/legalbasis/{basis.pk}/change/"
    assert browser.get(url).status_code == 200

    decided, go = threading.Event(), threading.Event()
    original = LegalBasisAdmin.save_model

    def pausing(self: Any, request: Any, obj: Any, form: Any, change: bool) -> None:
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()  # has_change_permission said yes
            go.wait(timeout=15)
        original(self, request, obj, form, change)

    monkeypatch.setattr(LegalBasisAdmin, "save_model", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def save() -> None:
        try:
            answer["status"] = browser.post(
                url,
                {
                    "label": basis.label,
                    "description": basis.description,
                    "requires_justification": "on" if basis.requires_justification else "",
                    # requires_review left out: switched off
                    "is_active": "on" if basis.is_active else "",
                },
            ).status_code
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        try:
            for membership in Membership.objects.filter(user=officer):
                remove_membership(membership, actor=admin_user)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=save, name=PAUSED)
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
    basis.refresh_from_db()
    cutoff = AuditEvent.objects.filter(action="directory.membership_removed").latest("seq").seq
    late = list(
        AuditEvent.objects.filter(actor_id=officer.pk, allowed=True, seq__gt=cutoff).values_list(
            "action", "seq"
        )
    )
    assert not (committed_during_pause and not basis.requires_review), (
        f"removal committed while the save was pending; requires_review switched off anyway "
        f"(answer {answer.get('status')}); allowed after removal: {late}"
    )
    assert not late, late
