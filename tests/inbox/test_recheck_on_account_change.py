"""``disconnect_user()`` makes open sockets check their credentials again: a deactivated
account is closed with 4403, a revoked token or ended session with 4401, and a member who is
still allowed stays connected."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from referral_hub.directory.models import ApiToken
from referral_hub.inbox.publish import disconnect_user, publish
from tests.inbox.sockets import close_code, db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]


@run_async
async def test_deactivated_user_is_closed_with_4403(make_user, session_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(session_headers)(user))
    user.is_active = False
    await db(user.save)()
    await db(disconnect_user)(user.pk)
    assert await close_code(socket) == 4403


@run_async
async def test_revoked_token_is_closed_with_4401(make_user, token_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    await db(lambda: ApiToken.objects.filter(user=user).update(revoked_at=timezone.now()))()
    await db(disconnect_user)(user.pk)
    assert await close_code(socket) == 4401


@run_async
async def test_ended_session_is_closed_with_4401(make_user, session_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(session_headers)(user))
    await db(lambda: Session.objects.all().delete())()
    await db(disconnect_user)(user.pk)
    assert await close_code(socket) == 4401


@run_async
async def test_user_still_allowed_stays_connected_and_keeps_receiving(make_user, token_headers):
    user, other = await db(make_user)(), await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    other_socket, _, _ = await open_inbox(await db(token_headers)(other))
    await db(disconnect_user)(user.pk)
    assert await socket.receive_nothing(timeout=0.3)

    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    [event] = await receive_events(socket, 1)
    assert event["seq"] == 1
    assert await other_socket.receive_nothing(timeout=0.2)
    await socket.disconnect()
    await other_socket.disconnect()


@run_async
async def test_catch_up_from_a_deactivated_account_is_refused(make_user, token_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    user.is_active = False
    await db(user.save)()
    await socket.send_json_to({"type": "catch_up", "since": 0})
    assert await close_code(socket) == 4403
