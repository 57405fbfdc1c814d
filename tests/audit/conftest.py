"""Fixtures for the audit tests.

The PostgreSQL trigger refuses TRUNCATE of the audit table unless the session opts in. Django
flushes test databases with TRUNCATE between transactional tests, so every test connection
opts in; the trigger test opts back out to prove the refusal.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.db import connection

from referral_hub.audit import chain
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent


def new_signing_key() -> str:
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.urlsafe_b64encode(raw).decode()


@pytest.fixture
def checkpoint_file(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A fresh signing key and checkpoint file for this test."""
    path = tmp_path / "audit-checkpoints.jsonl"
    settings.AUDIT_SIGNING_KEY = new_signing_key()
    settings.AUDIT_CHECKPOINT_PATH = path
    yield path


@pytest.fixture
def user(django_user_model: Any, fast_hashing: None) -> Any:
    return django_user_model.objects.create_user(username="consult1", password="x-long-password-1")


@contextmanager
def attacker_cursor() -> Iterator[Any]:
    """A cursor with the append-only trigger disabled, as a database superuser could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                # Fire the deferred foreign-key checks first: PostgreSQL will not alter a table
                # with trigger events still pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def edit_and_rehash(seq: int, resident_id: int) -> None:
    """Change event ``seq``'s resident and recompute its own hash only: the event is consistent
    on its own, and only the next event's link to it is broken."""
    event = AuditEvent.objects.get(seq=seq)
    event.resident_id = resident_id
    with attacker_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET resident_id = %s, hash = %s WHERE seq = %s",
            [resident_id, event.computed_hash(), seq],
        )


def rehash_from(seq: int) -> None:
    """Recompute every hash and link from ``seq`` on, and the head row: a whole-chain rewrite
    that leaves no internal inconsistency."""
    previous = (
        AuditEvent.objects.filter(seq__lt=seq)
        .order_by("-seq")
        .values_list("hash", flat=True)
        .first()
    )
    prev_hash = previous or chain.GENESIS_HASH
    with attacker_cursor() as cursor:
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            event.prev_hash = prev_hash
            new_hash = event.computed_hash()
            cursor.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev_hash, new_hash, event.seq],
            )
            prev_hash = new_hash
        cursor.execute(
            "UPDATE audit_chainhead SET seq = (SELECT max(seq) FROM audit_auditevent), hash = %s WHERE id = 1",
            [prev_hash],
        )


@pytest.fixture
def make_chain(user: Any) -> Any:
    """``make_chain(n)`` appends n events about residents 1..3 and returns them."""

    def make(n: int) -> list[AuditEvent]:
        return [
            record(
                "sheet.read",
                actor=user,
                actor_desk="jiritsu",
                target_type="sheet",
                target_id=i,
                resident_id=i % 3 + 1,
                legal_basis="consent",
                details={"owner_desk": "jiritsu"},
            )
            for i in range(n)
        ]

    return make


AUDIT_URLCONF = f"{__package__}.urls"


def grant(user: Any, *codenames: str) -> Any:
    """Give ``user`` audit permissions (the directory grants them to privacy officers)."""
    from django.contrib.auth.models import Permission

    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="audit", codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached


@pytest.fixture
def officer(django_user_model: Any, fast_hashing: None) -> Any:
    user = django_user_model.objects.create_user(
        username="privacy_officer", password="x-long-password-2"
    )
    return grant(user, "view_auditevent", "view_disclosurereview", "review_disclosure")


@pytest.fixture
def officer_client(officer: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(officer)
    return client


@pytest.fixture
def staff_client(user: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client
