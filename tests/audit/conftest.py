"""Fixtures for the audit tests.

The PostgreSQL trigger refuses TRUNCATE of the audit table unless the session opts in. Django
flushes test databases with TRUNCATE between transactional tests, so every test connection
opts in; the trigger test opts back out to prove the refusal.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.db.backends.signals import connection_created


def allow_audit_truncate(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")


connection_created.connect(allow_audit_truncate, dispatch_uid="audit_allow_truncate_in_tests")


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
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="consult1", password="x-long-password-1")
