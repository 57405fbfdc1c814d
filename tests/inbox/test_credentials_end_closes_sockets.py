"""When a credential ends, the sockets opened with it close within a second, with the real
consumer on both channel layers (issue 13, input 7 and the socket side of input 5).

Logout ends its own session's sockets; revocation its own token's; a password change (any path)
or deactivation every socket of the user. A socket on a credential that is still valid stays
open and keeps receiving."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from referral_hub.directory import services
from referral_hub.directory.models import Department, Municipality
from referral_hub.directory.tokens import create_token
from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]

NEW_PASSWORD = "a-new-long-password-2026"
WITHIN_A_SECOND = 1.0


async def closed_within_a_second(socket: Any) -> int | None:
    """The close code, which must arrive within a second of the change."""
    output = await socket.receive_output(timeout=WITHIN_A_SECOND)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def still_receives(socket: Any, user_id: int, sheet_id: int) -> None:
    assert await socket.receive_nothing(timeout=0.3)
    await db(publish)([user_id], "sheet.updated", box="sent", sheet_id=sheet_id, status="sent")
    [event] = await receive_events(socket, 1)
    assert event["sheet"] == sheet_id
    await socket.disconnect()


def signed_in_browser(user: Any) -> tuple[Client, list[tuple[bytes, bytes]]]:
    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())]


def token_client(user: Any) -> tuple[APIClient, list[tuple[bytes, bytes]]]:
    key, _ = create_token(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, [(b"authorization", f"Token {key}".encode())]


@run_async
async def test_set_password_then_save_closes_token_and_session_sockets(make_user):
    user = await db(make_user)()
    _, token_headers = await db(token_client)(user)
    _, cookie_headers = await db(signed_in_browser)(user)
    token_socket, _, _ = await open_inbox(token_headers)
    session_socket, _, _ = await open_inbox(cookie_headers)

    def change_password() -> None:
        user.set_password(NEW_PASSWORD)
        user.save()

    await db(change_password)()
    assert await closed_within_a_second(token_socket) == 4401
    assert await closed_within_a_second(session_socket) == 4401


@run_async
async def test_password_change_in_the_admin_closes_the_users_sockets(make_user, admin_user):
    user = await db(make_user)()
    _, headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)

    def change_in_admin() -> int:
        admin = Client()
        admin.force_login(admin_user)
        response = admin.post(
            f"/admin/auth/user/{user.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )
        return response.status_code

    assert await db(change_in_admin)() == 302
    assert await closed_within_a_second(socket) == 4401


@run_async
async def test_deactivation_closes_every_socket_of_the_user(make_user):
    user = await db(make_user)()
    _, headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)

    def deactivate() -> None:
        user.is_active = False
        user.save()

    await db(deactivate)()
    assert await closed_within_a_second(socket) == 4403


@run_async
async def test_logout_closes_the_sockets_of_that_session_only(make_user):
    user = await db(make_user)()
    browser, cookie_headers = await db(signed_in_browser)(user)
    _, other_browser_headers = await db(signed_in_browser)(user)
    _, token_headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(cookie_headers)
    other_browser, _, _ = await open_inbox(other_browser_headers)
    api_socket, _, _ = await open_inbox(token_headers)

    response = await db(browser.post)("/logout/")
    assert response.status_code == 302
    assert await closed_within_a_second(socket) == 4401
    await still_receives(other_browser, user.pk, 21)
    await api_socket.disconnect()


@run_async
async def test_token_revocation_closes_the_sockets_of_that_token_only(make_user):
    user = await db(make_user)()
    client, headers = await db(token_client)(user)
    _, other_headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)
    other, _, _ = await open_inbox(other_headers)

    response = await db(client.delete)("/api/v1/auth/token/revoke/")
    assert response.status_code == 204
    assert await closed_within_a_second(socket) == 4401
    await still_receives(other, user.pk, 22)


def _transfer(user: Any) -> tuple[int, int]:
    """人事異動: the clerk leaves 収納課 for 学校教育課 through the admin's membership form."""
    town = Municipality.objects.create(code="t", name="町")
    old = Department.objects.create(municipality=town, code="shuno", name="収納課")
    new = Department.objects.create(municipality=town, code="gakko", name="学校教育課")
    membership = services.add_membership(user, "clerk", department=old)
    return membership.pk, new.pk


@run_async
async def test_a_transfer_in_the_admin_makes_the_clerks_sockets_recheck_and_stay_open(
    make_user, admin_user
):
    user = await db(make_user)()
    membership_id, new_department = await db(_transfer)(user)
    _, headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)

    def move_in_admin() -> int:
        admin = Client()
        admin.force_login(admin_user)
        return admin.post(
            f"/admin/directory/membership/{membership_id}/change/",
            {"user": user.pk, "role": "clerk", "department": new_department, "desk": ""},
        ).status_code

    assert await db(move_in_admin)() == 302
    # Still signed in: the re-check keeps the socket, which now serves the new post.
    await still_receives(socket, user.pk, 23)


@run_async
async def test_a_membership_change_rechecks_the_users_sockets_at_once(make_user, admin_user):
    user = await db(make_user)()
    membership_id, new_department = await db(_transfer)(user)
    _, headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)
    # Ended without a signal (a bulk update): only a re-check can notice.
    await db(lambda: type(user).objects.filter(pk=user.pk).update(is_active=False))()

    await db(services.remove_membership)(
        await db(lambda: user.memberships.get(pk=membership_id))(), actor=admin_user
    )
    assert await closed_within_a_second(socket) == 4403


@run_async
async def test_a_membership_grant_rechecks_the_users_sockets_at_once(make_user):
    user = await db(make_user)()
    membership_id, new_department = await db(_transfer)(user)
    _, headers = await db(token_client)(user)
    socket, _, _ = await open_inbox(headers)
    await db(lambda: type(user).objects.filter(pk=user.pk).update(is_active=False))()

    department = await db(Department.objects.get)(pk=new_department)
    await db(services.add_membership)(user, "clerk", department=department)
    assert await closed_within_a_second(socket) == 4403


@run_async
async def test_deleting_the_user_closes_their_sockets(make_user):
    user = await db(make_user)()
    _, cookie_headers = await db(signed_in_browser)(user)
    socket, _, _ = await open_inbox(cookie_headers)
    await db(user.delete)()
    assert await closed_within_a_second(socket) == 4403
