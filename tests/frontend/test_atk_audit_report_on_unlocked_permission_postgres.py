"""ATTACK: the privacy officer's audit pages (here the disclosure report ``/audit/?sheet_number=``,
which lists who read a resident's sheet) decide access with ``user.has_perm`` (the role groups
that ``remove_membership`` rewrites), read without a lock, outside the gate
(``frontend/audit_access.require``). A privacy officer whose membership the administrator
removes while the page is pending gets the report after the removal committed (the removal
never waits), recorded as an allowed ``audit.disclosure_report`` after
``directory.membership_removed``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from frontend import audit_access
from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PAUSED = "decided-and-paused"


def test_a_removed_privacy_officer_gets_no_disclosure_report_after_removal(
    fast_hashers, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet = ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent))
    officer = demo.user("privacy_officer")
    admin = demo.user("admin")
    browser = Client()
    browser.force_login(officer)
    assert browser.get("/audit/", {"sheet_number": sheet.number}).status_code == 200

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
            answer["status"] = browser.get("/audit/", {"sheet_number": sheet.number}).status_code
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
        assert decided.wait(timeout=15), "never reached audit_access.require"
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
            actor_id=officer.pk, allowed=True, seq__gt=cutoff, action="audit.disclosure_report"
        ).values_list("action", "seq")
    )
    assert late == [], (
        f"disclosure report allowed after membership_removed (seq {cutoff}): {late}; "
        f"page answered {answer.get('status')}"
    )
