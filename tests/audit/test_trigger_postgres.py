"""On PostgreSQL the database itself refuses UPDATE, DELETE and TRUNCATE of audit events,
even from raw SQL that bypasses Django."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from referral_hub.audit.log import record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")


def _refused(sql: str, params: list | None = None) -> str:
    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params or [])
    return str(excinfo.value)


def test_raw_update_is_refused(user):
    event = record("sheet.read", actor=user, resident_id=1)
    message = _refused("UPDATE audit_auditevent SET allowed = false WHERE seq = %s", [event.seq])
    assert "append-only" in message
    with connection.cursor() as cursor:
        cursor.execute("SELECT allowed FROM audit_auditevent WHERE seq = %s", [event.seq])
        assert cursor.fetchone() == (True,)


def test_raw_delete_is_refused(user):
    event = record("sheet.read", actor=user, resident_id=1)
    assert "append-only" in _refused("DELETE FROM audit_auditevent WHERE seq = %s", [event.seq])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent WHERE seq = %s", [event.seq])
        assert cursor.fetchone() == (1,)


def test_truncate_is_refused(user):
    record("sheet.read", actor=user, resident_id=1)
    # The test session opts in so Django can flush test databases; opt out like production.
    with (
        pytest.raises(DatabaseError) as excinfo,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL referral_hub.audit_allow_truncate = 'off'")
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert "append-only" in str(excinfo.value)


def test_insert_is_still_allowed(user):
    first = record("sheet.read", actor=user, resident_id=1)
    second = record("sheet.read", actor=user, resident_id=1)
    assert second.prev_hash == first.hash
