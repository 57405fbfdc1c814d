"""Browsers authenticate the socket with their session cookie."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


@run_async
async def test_session_cookie_opens_the_inbox_of_its_user(make_user, session_headers):
    user = await db(make_user)()
    socket, hello, unread = await open_inbox(await db(session_headers)(user))

    assert hello == {"type": "hello", "last_seq": 0}
    assert unread == {"type": "unread", "counts": {"inbox": 0, "sent": 0, "overdue": 0}}

    await db(publish)([user.pk], "sheet.received", sheet_id=11, status="sent")
    [event] = await receive_events(socket, 1)
    assert (event["type"], event["seq"], event["sheet"]) == ("sheet.received", 1, 11)
    await socket.disconnect()


@run_async
async def test_session_cookie_among_other_cookies(make_user, session_headers):
    user = await db(make_user)()
    [(name, cookie)] = await db(session_headers)(user)
    socket, hello, _ = await open_inbox([(name, b"csrftoken=abc; " + cookie + b"; theme=dark")])
    assert hello["last_seq"] == 0
    await socket.disconnect()
