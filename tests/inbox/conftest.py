"""Fixtures for the inbox tests: users, tokens, sockets on the real channel layers."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db.backends.signals import connection_created


def _allow_audit_truncate(sender: Any, connection: Any, **kwargs: Any) -> None:
    # Transactional tests flush with TRUNCATE, which the audit trigger refuses unless the
    # session opts in (see tests/audit/conftest.py).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")


connection_created.connect(_allow_audit_truncate, dispatch_uid="inbox_tests_allow_audit_truncate")


@pytest.fixture
def make_user(django_user_model: Any):
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, **fields: Any) -> Any:
        name = username or f"staff{next(counter)}"
        return django_user_model.objects.create_user(
            username=name, password="correct-horse-battery-1", **fields
        )

    return make


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set")
    return url
