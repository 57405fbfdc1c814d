"""ATTACK (atk2): the privacy officer's consent page (``GET /audit/consents/<id>/``,
``frontend/views/privacy.py: consent_page``) decides access with ``audit_access.require`` only
(``user.has_perm``, unlocked, outside any transaction) and, unlike the other audit pages, never
calls ``audit_access.log_read`` (no re-check on the locked account, no record of the read). A
privacy officer whose membership is removed while the page is pending gets the consent record
(scope, recipients, who recorded it, the signed-form evidence list) after the removal
committed; the removal does not wait, and the read is not on the log at all.

Claim under test (docs/operations/locks.md): the privacy officer's pages re-check ``has_perm``
on the locked account, "so nothing of the log leaves after the removal committed"."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from frontend import audit_access
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import make_consent, make_resident, seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_removed_officer_gets_no_consent_page_after_the_removal(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    consent = make_consent(clerk, make_resident(clerk), ["jiritsu"])
    officer = demo.user("privacy_officer")
    admin = demo.user("admin")
    browser = Client()
    browser.force_login(officer)
    assert browser.get(f"/audit/consents/{consent.pk}/").status_code == 200

    decided, go = threading.Event(), threading.Event()
    original = audit_access.require

    def pausing(user: Any, permission: str, action: str, **audit: Any) -> None:
        original(user, permission, action, **audit)
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)

    monkeypatch.setattr(audit_access, "require", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["status"] = browser.get(f"/audit/consents/{consent.pk}/").status_code
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
        assert decided.wait(timeout=15)
        changing.start()
        changing.join(timeout=2.0)
        committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    assert not (committed_during_pause and answer.get("status") == 200), (
        "membership removal committed while the consent page was pending; page still 200"
    )
