"""``/admin/login/`` is a way in like any other: it goes through the one sign-in service, with
its lock-out and audit, and what was typed as a username is kept only when it names an account
(issue 13, input 6 and "a way in that skips the gate or the audit")."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import LoginThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"


def admin_login(client: Client, username: str, password: str):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )


def test_eight_wrong_passwords_then_the_right_one_stay_locked_out_and_all_nine_are_audited(
    demo, settings, django_user_model
):
    settings.LOGIN_MAX_FAILURES = 5
    officer = django_user_model.objects.get(username="privacy_officer")
    assert officer.is_staff  # the admin would let this account in
    client = Client()
    for _ in range(8):
        assert admin_login(client, "privacy_officer", "wrong-password").status_code == 200

    response = admin_login(client, "privacy_officer", PASSWORD)

    assert response.status_code == 200  # the form again, not the redirect into the admin
    assert SESSION_KEY not in client.session
    assert "しばらくログインできません" in response.content.decode()
    attempts = AuditEvent.objects.filter(action__startswith="auth.login").order_by("seq")
    assert [(e.action, e.refusal_code) for e in attempts] == [
        ("auth.login_failed", "invalid_credentials")
    ] * 5 + [("auth.login_refused", "locked_out")] * 4
    assert {e.target_id for e in attempts} == {str(officer.pk)}
    assert all(not e.allowed and e.details["username"] == "privacy_officer" for e in attempts)


def test_admin_sign_in_with_the_right_password_is_audited(demo):
    client = Client()
    response = admin_login(client, "admin", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    login = AuditEvent.objects.get(action="auth.login")
    assert login.allowed and login.actor_username == "admin"


def test_a_clerk_who_knows_their_password_still_does_not_enter_the_admin(demo):
    client = Client()
    response = admin_login(client, "tax_clerk", PASSWORD)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_failed_sign_in_keeps_no_typed_text_that_names_no_account(demo):
    typed = "my-secret-password-typed-in-the-wrong-box"
    admin_login(Client(), typed, "anything")
    Client().post("/login/", {"username": typed, "password": "anything"})

    failures = list(AuditEvent.objects.filter(action="auth.login_failed"))
    assert len(failures) == 2
    for event in failures:
        assert event.details == {"known_user": False}
        assert event.target_id == ""
        assert typed not in str(event.details) and typed not in event.target_id
    assert LoginThrottle.objects.count() == 1
    assert typed not in LoginThrottle.objects.get().username


def test_an_unknown_username_locks_out_like_a_real_one(demo, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        admin_login(client, "nobody_here", "x")
    response = admin_login(client, "nobody_here", "x")
    assert "しばらくログインできません" in response.content.decode()
    refused = AuditEvent.objects.get(action="auth.login_refused")
    assert refused.details == {"known_user": False} and refused.refusal_code == "locked_out"
