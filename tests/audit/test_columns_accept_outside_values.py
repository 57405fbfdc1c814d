"""Audit rows can never fail on outside values (issue 15, failing inputs 4 and 5).

The place snapshot, the typed username, ids and the client address come from outside the audit
app; an event must store whatever they are, on SQLite and PostgreSQL alike. SQLite does not
enforce varchar lengths, so the faults these tests catch only show on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from referral_hub.audit import verify
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.directory import services
from referral_hub.directory.models import Department, LoginThrottle, Municipality, Role

PASSWORD = "kenmu-pass-2026-long"  # noqa: S105 - a test password


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce column lengths; the fault shows on PostgreSQL")


def sign_in(username: str, password: str = PASSWORD, **headers: str):
    return Client(raise_request_exception=False, **headers).post(
        "/api/v1/auth/token/",
        data=json.dumps({"username": username, "password": password}),
        content_type="application/json",
    )


@pytest.fixture
def kenmu_clerk(demo, django_user_model):
    """A clerk who belongs to ten departments at once (兼務, common in small towns)."""
    town = Municipality.objects.first()
    user = django_user_model.objects.create_user(username="kenmu_clerk", password=PASSWORD)
    for n in range(10):
        department = Department.objects.create(
            municipality=town, code=f"zeimu-shuno-kazei-bunshitsu-{n:02d}", name=f"税務{n}"
        )
        services.add_membership(user, Role.CLERK, department=department)
    return user


@pytest.mark.postgres
@pytest.mark.django_db
def test_clerk_in_ten_departments_signs_in_on_postgresql(postgres_only, kenmu_clerk):
    response = sign_in("kenmu_clerk")

    assert response.status_code == 201, response.content
    event = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert event.actor_id == kenmu_clerk.pk
    assert len(event.actor_desk.split(",")) == 10
    assert "zeimu-shuno-kazei-bunshitsu-09" in event.actor_desk
    assert len(event.actor_desk) > 64


@pytest.mark.django_db
def test_long_outside_values_are_stored_whole_and_hash_as_written(user):
    desks = ",".join(f"department-with-a-long-code-{n:02d}" for n in range(10))
    event = record(
        "auth.login",
        actor=user,
        actor_desk=desks,
        target_type="user",
        target_id="9" * 200,
    )

    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_desk, stored.target_id) == (desks, "9" * 200)
    assert stored.computed_hash() == stored.hash


# --- client address: one setting decides, and it is always a valid IP ---------------------------


@pytest.mark.django_db
def test_forwarded_for_is_ignored_without_the_setting(settings, kenmu_clerk):
    settings.TRUST_X_FORWARDED_FOR = False

    response = sign_in("kenmu_clerk", HTTP_X_FORWARDED_FOR="198.51.100.23")

    assert response.status_code == 201
    assert AuditEvent.objects.latest("seq").client_ip == "127.0.0.1"


@pytest.mark.django_db
def test_with_the_setting_the_address_the_proxy_appended_is_recorded(settings, kenmu_clerk):
    settings.TRUST_X_FORWARDED_FOR = True

    # The client wrote the first entry itself; the proxy appended the address it saw.
    response = sign_in("kenmu_clerk", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.9")

    assert response.status_code == 201
    assert AuditEvent.objects.latest("seq").client_ip == "203.0.113.9"


@pytest.mark.postgres
@pytest.mark.django_db
def test_seven_wrong_passwords_with_a_70_character_forwarded_for_lock_the_account(
    postgres_only, settings, kenmu_clerk
):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.LOGIN_MAX_FAILURES = 5
    forged = "203.0.113.9" + "x" * 59
    assert len(forged) == 70

    statuses = [
        sign_in("kenmu_clerk", "wrong-password", HTTP_X_FORWARDED_FOR=forged).status_code
        for _ in range(7)
    ]

    assert statuses == [401, 401, 401, 401, 429, 429, 429]  # the fifth failure locks
    assert (
        LoginThrottle.objects.get(username=services.throttle_key("kenmu_clerk")).locked_until
        is not None
    )
    failures = AuditEvent.objects.filter(action__startswith="auth.login_")
    assert failures.count() == 7
    assert set(failures.values_list("client_ip", flat=True)) == {""}  # not an address: not kept


# --- the migration itself, on PostgreSQL with its append-only trigger ---------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_migration_keeps_existing_events_and_their_chain_on_postgresql(
    postgres_only, user, checkpoint_file
):
    before = ("audit", "0003_details_canonical_json")
    after = ("audit", "0004_outside_values_unbounded_text")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = 'audit_auditevent' AND column_name = 'actor_desk'"
            )
            assert cursor.fetchone() == ("character varying",)
        event = record("auth.login", actor=user, actor_desk="jiritsu", target_id=1)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate([after])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'audit_auditevent' AND column_name IN "
            "('actor_desk', 'actor_username', 'target_id', 'client_ip')"
        )
        assert dict(cursor.fetchall()) == dict.fromkeys(
            ("actor_desk", "actor_username", "target_id", "client_ip"), "text"
        )
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.computed_hash() == stored.hash
    assert verify.verify_chain().ok
