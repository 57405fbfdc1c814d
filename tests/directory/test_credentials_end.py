"""A credential ends when it should, by every path (issue 13, "a credential that outlives its
end", input 7): tokens carry a password fingerprint; a password change or deactivation ends
every token and session of the user; logout ends its own session; refused tokens are audited.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import ApiToken

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"
NEW_PASSWORD = "a-new-long-password-2026"


def issue(username: str = "tax_clerk", password: str = PASSWORD) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def me(key: str) -> int:
    return APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code


def browser(username: str = "tax_clerk") -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def sessions_of(user) -> int:
    return sum(1 for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk))


def test_a_token_carries_the_fingerprint_of_the_password_it_was_issued_under(
    demo, django_user_model
):
    from referral_hub.directory.tokens import password_fingerprint

    issue()
    token = ApiToken.objects.get()
    user = django_user_model.objects.get(username="tax_clerk")
    assert token.password_fingerprint == password_fingerprint(user)
    assert len(token.password_fingerprint) == 64
    # Not the session hash: the two never stand in for each other.
    assert token.password_fingerprint != user.get_session_auth_hash()


def test_set_password_then_save_ends_the_old_token_and_every_session(demo, django_user_model):
    key = issue()
    first, second = browser(), browser()
    user = django_user_model.objects.get(username="tax_clerk")
    assert sessions_of(user) == 2

    user.set_password(NEW_PASSWORD)
    user.save()

    assert me(key) == 401
    assert ApiToken.objects.get().revoked_at is not None
    assert sessions_of(user) == 0
    for client in (first, second):
        response = client.get("/inbox/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    ended = AuditEvent.objects.get(action="auth.credentials_ended")
    assert ended.target_id == str(user.pk)
    assert ended.details == {"reason": "password_changed", "tokens": 1, "sessions": 2}
    assert me(issue(password=NEW_PASSWORD)) == 200


def test_a_password_changed_without_any_signal_still_kills_the_token(demo, django_user_model):
    key = issue()
    user = django_user_model.objects.get(username="tax_clerk")
    user.set_password(NEW_PASSWORD)
    django_user_model.objects.filter(pk=user.pk).update(password=user.password)
    assert ApiToken.objects.get().revoked_at is None
    assert me(key) == 401


def test_the_admins_password_form_ends_the_users_token(demo, django_user_model):
    key = issue()
    user = django_user_model.objects.get(username="tax_clerk")
    admin_client = Client()
    admin_client.force_login(
        django_user_model.objects.create_superuser("root", password="root-password-2026")
    )
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert me(key) == 401


def test_deactivation_ends_every_token_and_session(demo, django_user_model):
    key = issue()
    client = browser()
    user = django_user_model.objects.get(username="tax_clerk")
    user.is_active = False
    user.save()
    assert me(key) == 401
    assert sessions_of(user) == 0
    assert client.get("/inbox/").status_code == 302
    ended = AuditEvent.objects.get(action="auth.credentials_ended")
    assert ended.details == {"reason": "deactivated", "tokens": 1, "sessions": 1}


def test_saving_other_fields_ends_nothing(demo, django_user_model):
    key = issue()
    user = django_user_model.objects.get(username="tax_clerk")
    user.first_name = "太郎"
    user.save()
    assert me(key) == 200
    assert not AuditEvent.objects.filter(action="auth.credentials_ended").exists()


def test_logout_ends_that_session_only_and_is_audited(demo, django_user_model):
    key = issue()
    leaving, staying = browser(), browser()
    assert leaving.post("/logout/").status_code == 302
    assert leaving.get("/inbox/").status_code == 302
    assert staying.get("/inbox/").status_code == 200
    assert me(key) == 200
    logout = AuditEvent.objects.get(action="auth.logout")
    assert logout.actor_username == "tax_clerk"


def test_a_token_from_before_fingerprints_is_dead(demo):
    key = issue()
    ApiToken.objects.update(password_fingerprint="")
    assert me(key) == 401


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (
            lambda: ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1)),
            "token_expired",
        ),
        (lambda: ApiToken.objects.update(revoked_at=timezone.now()), "token_revoked"),
        (lambda: ApiToken.objects.update(password_fingerprint="0" * 64), "password_changed"),
    ],
)
def test_a_request_refused_for_its_token_is_audited(demo, spoil, reason):
    key = issue()
    token = ApiToken.objects.get()
    spoil()
    assert me(key) == 401
    refusal = AuditEvent.objects.get(action="auth.token_refused")
    assert not refusal.allowed and refusal.refusal_code == "invalid_token"
    assert refusal.target_type == "api_token" and refusal.target_id == str(token.pk)
    assert refusal.details == {
        "reason": reason,
        "method": "GET",
        "path": "/api/v1/me/",
        "user": token.user_id,
    }


def test_an_unknown_token_is_audited_without_any_of_its_text(demo):
    typed = "not-a-real-token-but-someones-secret"
    assert me(typed) == 401
    refusal = AuditEvent.objects.get(action="auth.token_refused")
    assert refusal.target_id == "" and refusal.details["reason"] == "token_unknown"
    assert typed not in str(refusal.details) and typed[:8] not in str(refusal.details)


def test_a_socket_refused_for_its_token_is_audited(demo, django_user_model, settings):
    from asgiref.sync import async_to_sync

    from tests.inbox.sockets import close_code, open_socket

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    key = issue()
    ApiToken.objects.update(revoked_at=timezone.now())

    async def connect() -> int | None:
        socket = await open_socket([(b"authorization", f"Token {key}".encode())])
        return await close_code(socket)

    assert async_to_sync(connect)() == 4401
    refusal = AuditEvent.objects.get(action="auth.token_refused")
    assert refusal.details["reason"] == "token_revoked"
    assert (refusal.details["method"], refusal.details["path"]) == ("WEBSOCKET", "/ws/inbox/")


def test_changing_ones_own_password_keeps_that_browser_and_ends_the_others(demo, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-password-2026")
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert (
            client.post(
                "/admin/login/", {"username": "root", "password": "root-password-2026"}
            ).status_code
            == 302
        )
    response = here.post(
        "/admin/password_change/",
        {
            "old_password": "root-password-2026",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    assert sessions_of(root) == 1
