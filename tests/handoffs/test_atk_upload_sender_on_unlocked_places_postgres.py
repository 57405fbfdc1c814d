"""ATTACK: an attachment upload by the sending side decides *who it is* (sender or desk, so
the purpose ``attachment.send`` vs ``attachment.upload``) on the actor's memberships read
without a lock (``handoffs.attachments._authorize_upload``: ``roles.desk_ids`` and
``policy.sender_relation`` before ``policy.authorize``), and the gate's ``attachment.send``
rule checks only the consent, never the relation. A clerk transferred (membership removed)
between that unlocked read and the gate's locked read still gets ``attachment.send`` allowed,
recorded after ``directory.membership_removed``; the removal never waits."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.consent.categories import Category
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from referral_hub.directory.tokens import create_token
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "decided-and-paused"


@pytest.fixture
def storage_dir(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }


def test_transferred_clerk_upload_is_not_allowed_after_the_transfer(
    fast_hashers, storage_dir, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    admin = demo.user("admin")
    resident = make_resident(clerk)

    consent = make_consent(
        clerk, resident, ["jiritsu"], ["identity", "concern", Category.ATTACHMENTS.value]
    )
    sheet_id = send_ok(Api(clerk), resident, consent)
    key, _ = create_token(clerk)

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

    def upload() -> None:
        try:
            file = io.BytesIO(b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n")
            file.name = "notice.pdf"
            response = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
                f"/api/v1/sheets/{sheet_id}/attachments/", {"file": file}
            )
            answer["status"] = response.status_code
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

    deciding = threading.Thread(target=upload, name=PAUSED)
    changing = threading.Thread(target=transfer)
    deciding.start()
    try:
        assert decided.wait(timeout=15), "never reached sender_relation"
        changing.start()
        changing.join(timeout=1.0)
        committed_during_pause = not changing.is_alive()
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
            actor_id=clerk.pk,
            allowed=True,
            seq__gt=cutoff,
            action__in=["attachment.send", "sheet.attachment_added"],
        ).values_list("action", "seq")
    )
    assert answer["status"] != 201 or not committed_during_pause, (
        f"upload answered {answer['status']} although the transfer committed while it was "
        f"pending; allowed after membership_removed (seq {cutoff}): {late}"
    )
    assert late == [], late
