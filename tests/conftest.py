"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture
def fast_hashing(settings):
    """Seeding ten demo users with Argon2 at production cost takes seconds; tests that only need
    the users use a cheap hasher. The Argon2 tests in tests/directory keep the real one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, fast_hashing):
    """デモ市 as seed_demo builds it."""
    call_command("seed_demo", force=True, verbosity=0)
