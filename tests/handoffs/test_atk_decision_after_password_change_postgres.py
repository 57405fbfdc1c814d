"""ATTACK: a password change ends every token and session of the account
(``directory.credentials``: ``auth.credentials_ended``) and, per the change under test, is one
of the changes no decision may be taken across. The gate's locked read (``roles.lock_places``)
re-reads memberships and ``is_active`` only, not the credential the request came with: a
request authenticated with a token just before the password change, whose decision runs just
after it committed, is allowed and recorded (``sheet.read``) after ``auth.credentials_ended``,
answered 200 on a token that no longer exists. (Deactivation in the same window is refused.)"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.models import AuditEvent
from referral_hub.directory import roles
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

PAUSED = "decided-and-paused"


def test_no_allowed_decision_on_a_token_ended_by_a_password_change(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    reader_user = demo.user("consult1")
    reader = Api(reader_user)

    arrived, go = threading.Event(), threading.Event()
    original = roles.lock_places

    def pausing(user: Any) -> Any:
        if threading.current_thread().name == PAUSED and not arrived.is_set():
            arrived.set()
            go.wait(timeout=15)
        return original(user)

    monkeypatch.setattr(roles, "lock_places", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get(f"/sheets/{sheet_id}/")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def change_password() -> None:
        try:
            user = demo.user("consult1")
            user.set_password("a-brand-new-pass-2026")
            user.save()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=change_password)
    deciding.start()
    try:
        assert arrived.wait(timeout=15)
        changing.start()
        changing.join(timeout=5)
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    ended = AuditEvent.objects.get(action="auth.credentials_ended", target_id=str(reader_user.pk))
    late = list(
        AuditEvent.objects.filter(
            actor_id=reader_user.pk, allowed=True, action="sheet.read", seq__gt=ended.seq
        ).values_list("action", "seq")
    )
    reply = answer["reply"]
    assert late == [] and reply.status != 200, (
        f"credentials ended at seq {ended.seq}; allowed afterwards: {late}; answer {reply.status}"
    )
