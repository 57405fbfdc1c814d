"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.backends.signals import connection_created


@pytest.fixture
def fast_hashing(settings):
    """Seeding ten demo users with Argon2 at production cost takes seconds; tests that only need
    the users use a cheap hasher. The Argon2 tests in tests/directory keep the real one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, fast_hashing):
    """デモ市 as seed_demo builds it."""
    call_command("seed_demo", force=True, verbosity=0)
    # Transactional tests flush the tables, migration-seeded reference data included.
    from referral_hub.consent.models import LegalBasis
    from referral_hub.consent.reference_data import ensure_legal_bases

    ensure_legal_bases(LegalBasis)


def _allow_audit_truncate(sender, connection, **kwargs) -> None:
    """Transactional tests flush tables with TRUNCATE, which the audit trigger refuses unless
    the session opts in (audit migration 0002). Production sessions never do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")


connection_created.connect(_allow_audit_truncate, dispatch_uid="tests_allow_audit_truncate")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """DRF's per-address sign-in throttle counts in the (in-process) cache: each test starts
    from zero, so a test's outcome never depends on how many sign-ins ran before it."""
    from django.core.cache import cache

    cache.clear()
