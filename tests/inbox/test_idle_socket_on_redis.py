"""A socket that hears nothing for longer than channels-redis' 5 s blocking pop stays open and
still receives the next event.

Regression: redis-py 8 reads with a 5 s socket timeout by default, which races the 5 s
BZPOPMIN of channels-redis 4 and kills every idle consumer (pyproject pins redis<7; a
``socket_timeout`` above 5 s in CHANNEL_LAYERS hosts also avoids it).
"""

from __future__ import annotations

import asyncio

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.usefixtures("redis_channel_layer"),
]

IDLE_SECONDS = 7


@run_async
async def test_idle_socket_still_receives(make_user, token_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    await asyncio.sleep(IDLE_SECONDS)
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    [event] = await receive_events(socket, 1)
    assert event["seq"] == 1
    await socket.disconnect()
