"""Repeated failed sign-ins lock the account for a while, on the page and the API alike."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import LoginThrottle

pytestmark = pytest.mark.django_db


def test_five_failures_lock_out_even_the_right_password(demo, settings):
    settings.LOGIN_MAX_FAILURES = 5
    client = APIClient()
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/token/", {"username": "tax_clerk", "password": "nope"}, format="json"
        )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "tax_clerk", "password": "demo-pass-2026"},
        format="json",
    )
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5
    assert (
        AuditEvent.objects.filter(action="auth.login_refused", refusal_code="locked_out").count()
        == 1
    )


def test_lock_expires(demo, settings):
    settings.LOGIN_MAX_FAILURES = 2
    client = APIClient()
    for _ in range(2):
        client.post(
            "/api/v1/auth/token/", {"username": "tax_clerk", "password": "nope"}, format="json"
        )
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "tax_clerk", "password": "demo-pass-2026"},
        format="json",
    )
    assert response.status_code == 201
    assert not LoginThrottle.objects.exists()


def test_login_page_locks_out_and_says_so_in_japanese(demo, settings):
    settings.LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        response = client.post("/login/", {"username": "consult1", "password": "nope"})
    assert response.status_code == 400
    assert "しばらくログインできません" in response.content.decode()


def test_login_page_signs_in_with_argon2_hash(db, django_user_model):
    user = django_user_model.objects.create_user("staff_a", password="a-long-password-2026")
    assert user.password.startswith("argon2")
    response = Client().post("/login/", {"username": "staff_a", "password": "a-long-password-2026"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor_id=user.pk).exists()


def test_login_page_is_japanese(db):
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="ja"' in html and "ログイン" in html and "ユーザー名" in html


def test_login_ignores_offsite_next(db, django_user_model):
    django_user_model.objects.create_user("staff_b", password="a-long-password-2026")
    response = Client().post(
        "/login/",
        {
            "username": "staff_b",
            "password": "a-long-password-2026",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
