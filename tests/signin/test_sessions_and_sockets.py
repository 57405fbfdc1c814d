"""「ログイン中の端末」: a person sees their sessions and tokens (device, address, last seen)
and ends any of them, and its sockets close at once; the idle timeout ends a session and its
socket; a session still owing its second factor opens no socket; an administrator's reset of
the factors ends every session, token and socket. Real consumer, on both channel layers."""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.inbox.publish import publish
from referral_hub.signin import records
from referral_hub.signin.models import SignIn, TotpDevice
from referral_hub.signin.services import reset_factors
from tests.inbox.conftest import (  # noqa: F401 - fixtures
    any_layer,
    redis_channel_layer,
    redis_url,
)
from tests.inbox.sockets import db, open_inbox, open_socket, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]

PASSWORD = "a-long-counter-password-2026"
WITHIN_A_SECOND = 1.0


@pytest.fixture(autouse=True)
def _cheap_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def person(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="counter1", password=PASSWORD)


def browser(agent: str) -> tuple[Client, list[tuple[bytes, bytes]]]:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR="192.0.2.10")
    reply = client.post("/login/", {"username": "counter1", "password": PASSWORD})
    assert reply.status_code == 302, reply.content
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())]


def api_token() -> tuple[Client, list[tuple[bytes, bytes]]]:
    reply = Client(HTTP_USER_AGENT="curl/8.5").post(
        "/api/v1/auth/token/",
        {"username": "counter1", "password": PASSWORD},
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    key = reply.json()["token"]
    return Client(HTTP_AUTHORIZATION=f"Token {key}"), [(b"authorization", f"Token {key}".encode())]


async def closed_within_a_second(socket: Any) -> int | None:
    output = await socket.receive_output(timeout=WITHIN_A_SECOND)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def still_receives(socket: Any, user_id: int, sheet_id: int) -> None:
    assert await socket.receive_nothing(timeout=0.3)
    await db(publish)([user_id], "sheet.updated", box="sent", sheet_id=sheet_id, status="sent")
    [event] = await receive_events(socket, 1)
    assert event["sheet"] == sheet_id
    await socket.disconnect()


@run_async
async def test_the_list_shows_each_sign_in_and_ending_one_closes_its_socket_only(person):
    counter, counter_headers = await db(browser)("Mozilla/5.0 (Windows NT 10.0) 窓口PC")
    office, office_headers = await db(browser)("Mozilla/5.0 (X11; Linux) 事務室PC")
    _, token_headers = await db(api_token)()
    counter_socket, _, _ = await open_inbox(counter_headers)
    office_socket, _, _ = await open_inbox(office_headers)
    token_socket, _, _ = await open_inbox(token_headers)

    listed = (await db(office.get)("/api/v1/me/sign-ins/")).json()
    assert len(listed) == 3
    by_device = {row["device"]: row for row in listed}
    counter_row = by_device["Mozilla/5.0 (Windows NT 10.0) 窓口PC"]
    assert counter_row["kind"] == "session" and counter_row["address"] == "192.0.2.10"
    assert counter_row["current"] is False
    assert by_device["Mozilla/5.0 (X11; Linux) 事務室PC"]["current"] is True
    assert by_device["curl/8.5"]["kind"] == "token"
    page = await db(office.get)("/account/sessions/")
    assert page.status_code == 200 and "窓口PC" in page.content.decode()

    ended = await db(office.delete)(f"/api/v1/me/sign-ins/{counter_row['id']}/")
    assert ended.status_code == 204
    assert await closed_within_a_second(counter_socket) == 4401
    assert (await db(counter.get)("/api/v1/me/")).status_code in (401, 403)
    await still_receives(office_socket, person.pk, 31)
    await token_socket.disconnect()
    assert await db(
        AuditEvent.objects.filter(
            action="auth.sign_in_ended", target_id=str(counter_row["id"])
        ).exists
    )()


@run_async
async def test_ending_a_token_on_the_page_closes_its_socket(person):
    office, _ = await db(browser)("Mozilla/5.0 事務室PC")
    token_client, token_headers = await db(api_token)()
    token_socket, _, _ = await open_inbox(token_headers)
    token_row = await db(lambda: SignIn.objects.get(kind="token"))()
    reply = await db(office.post)(f"/account/sessions/{token_row.pk}/end/")
    assert reply.status_code == 302
    assert await closed_within_a_second(token_socket) == 4401
    assert (await db(token_client.get)("/api/v1/me/")).status_code == 401


@run_async
async def test_another_persons_sign_in_cannot_be_ended(person, django_user_model):
    office, _ = await db(browser)("Mozilla/5.0 事務室PC")
    other = await db(django_user_model.objects.create_user)(username="other")
    row = await db(
        lambda: SignIn.objects.create(
            user=other, kind="session", session_key="x" * 32, last_seen_at=person.date_joined
        )
    )()
    assert (await db(office.delete)(f"/api/v1/me/sign-ins/{row.pk}/")).status_code == 404
    assert await db(lambda: SignIn.objects.get(pk=row.pk).ended_at)() is None


def _age_session(headers: list[tuple[bytes, bytes]], seconds: float) -> None:
    key = headers[0][1].decode().split("=", 1)[1]
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    store[records.SESSION_LAST_SEEN] = time.time() - seconds
    store.save()


@run_async
async def test_idle_timeout_ends_the_session_and_its_socket(person, settings):
    settings.SESSION_IDLE_MINUTES = 30
    counter, headers = await db(browser)("Mozilla/5.0 窓口PC")
    socket, _, _ = await open_inbox(headers)
    await db(_age_session)(headers, 29 * 60)  # not yet: a request keeps it going
    assert (await db(counter.get)("/account/session/status/")).json()["remaining"] in range(55, 61)
    await db(_age_session)(headers, 31 * 60)
    reply = await db(counter.get)("/inbox/")
    assert reply.status_code == 302 and reply["Location"] == "/login/?idle=1"
    assert await closed_within_a_second(socket) == 4401
    row = await db(lambda: SignIn.objects.get(kind="session"))()
    assert row.end_reason == "idle" and row.ended_at is not None
    assert (await db(counter.get)("/inbox/"))["Location"].startswith("/login/")


@run_async
async def test_an_idle_session_cannot_open_a_socket(person, settings):
    _, headers = await db(browser)("Mozilla/5.0 窓口PC")
    await db(_age_session)(headers, (settings.SESSION_IDLE_MINUTES + 1) * 60)
    socket = await open_socket(headers)
    assert await closed_within_a_second(socket) == 4401


@run_async
async def test_a_session_owing_its_factor_opens_no_socket(person):
    def enrol() -> None:
        from referral_hub.vault.keys import new_data_key

        TotpDevice.objects.create(
            user=person,
            data_key=new_data_key(),
            secret="JBSWY3DPEHPK3PXP",
            confirmed_at=person.date_joined,
        )

    await db(enrol)()
    _, headers = await db(browser)("Mozilla/5.0 窓口PC")
    socket = await open_socket(headers)
    assert await closed_within_a_second(socket) == 4401


@run_async
async def test_admin_reset_ends_sessions_tokens_and_sockets(person, admin_user):
    _, session_headers = await db(browser)("Mozilla/5.0 窓口PC")
    token_client, token_headers = await db(api_token)()
    enrolled = await db(token_client.post)(
        "/api/v1/me/mfa/totp/", "{}", content_type="application/json"
    )
    assert enrolled.status_code == 201
    session_socket, _, _ = await open_inbox(session_headers)
    token_socket, _, _ = await open_inbox(token_headers)

    def reset_in_admin() -> int:
        admin = Client()
        admin.force_login(admin_user)
        return admin.post(
            "/admin/auth/user/",
            {"action": "reset_second_factors", "_selected_action": [person.pk]},
        ).status_code

    assert await db(reset_in_admin)() == 302
    assert await closed_within_a_second(session_socket) == 4401
    assert await closed_within_a_second(token_socket) == 4401
    assert not await db(TotpDevice.objects.filter(user=person).exists)()
    assert (await db(token_client.get)("/api/v1/me/")).status_code == 401
    row = await db(lambda: AuditEvent.objects.get(action="mfa.factors_reset"))()
    assert row.target_id == str(person.pk) and row.actor_id == admin_user.pk
    assert await db(lambda: reset_factors(person, actor=None)["totp"])() == 0


@run_async
async def test_a_person_who_must_enrol_opens_no_socket(person, settings):
    from referral_hub.directory.services import add_membership

    settings.MFA_REQUIRED_ROLES = ["privacy_officer", "admin", "lead"]
    await db(add_membership)(person, "privacy_officer")
    _, session_headers = await db(browser)("Mozilla/5.0 窓口PC")
    _, token_headers = await db(api_token)()
    for headers in (session_headers, token_headers):
        socket = await open_socket(headers)
        assert await closed_within_a_second(socket) == 4401
