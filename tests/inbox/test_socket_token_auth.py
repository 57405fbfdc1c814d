"""API clients authenticate the socket with ``Authorization: Token <key>`` on the handshake."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]


@run_async
async def test_token_header_opens_the_inbox_of_its_user(make_user, token_headers):
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", box="inbox", sheet_id=5, status="sent")
    socket, hello, unread = await open_inbox(await db(token_headers)(user))

    assert hello == {"type": "hello", "last_seq": 1}
    assert unread["counts"] == {"inbox": 1, "sent": 0, "overdue": 0}

    await db(publish)([user.pk], "sheet.updated", box="inbox", sheet_id=5, status="accepted")
    [event] = await receive_events(socket, 1)
    assert (event["seq"], event["status"]) == (2, "accepted")
    await socket.disconnect()
