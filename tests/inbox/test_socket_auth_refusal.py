"""Sockets without valid credentials are closed with 4401 (DESIGN.md, WebSocket)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referral_hub.directory.models import ApiToken
from tests.inbox.sockets import close_code, db, open_socket, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


@run_async
async def test_socket_without_credentials_is_closed_with_4401():
    socket = await open_socket([])
    assert await close_code(socket) == 4401


@run_async
async def test_unknown_token_is_closed_with_4401():
    socket = await open_socket([(b"authorization", b"Token not-a-real-key")])
    assert await close_code(socket) == 4401


@run_async
async def test_other_authorization_scheme_is_closed_with_4401():
    socket = await open_socket([(b"authorization", b"Bearer abc")])
    assert await close_code(socket) == 4401


@run_async
async def test_expired_token_is_closed_with_4401(make_user, token_headers):
    user = await db(make_user)()
    headers = await db(token_headers)(user)
    await db(
        lambda: ApiToken.objects.filter(user=user).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    )()
    socket = await open_socket(headers)
    assert await close_code(socket) == 4401


@run_async
async def test_revoked_token_is_closed_with_4401(make_user, token_headers):
    user = await db(make_user)()
    headers = await db(token_headers)(user)
    await db(lambda: ApiToken.objects.filter(user=user).update(revoked_at=timezone.now()))()
    socket = await open_socket(headers)
    assert await close_code(socket) == 4401


@run_async
async def test_unknown_session_cookie_is_closed_with_4401(settings):
    socket = await open_socket([(b"cookie", f"{settings.SESSION_COOKIE_NAME}=nope".encode())])
    assert await close_code(socket) == 4401


@run_async
async def test_session_of_inactive_user_is_closed_with_4401(make_user, session_headers):
    user = await db(make_user)()
    headers = await db(session_headers)(user)
    user.is_active = False
    await db(user.save)()
    socket = await open_socket(headers)
    assert await close_code(socket) == 4401


@run_async
async def test_a_bad_token_is_not_rescued_by_a_valid_session_cookie(make_user, session_headers):
    user = await db(make_user)()
    cookie = await db(session_headers)(user)
    socket = await open_socket([*cookie, (b"authorization", b"Token wrong")])
    assert await close_code(socket) == 4401


@run_async
async def test_refused_socket_receives_no_frame_before_the_close(make_user):
    socket = await open_socket([])
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close"
