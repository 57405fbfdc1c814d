"""An event published while Redis is down is stored, the publisher's request is not failed,
and the client receives the event by catch-up once Redis is back (DESIGN.md invariant 5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import time

import pytest

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish
from tests.inbox.conftest import redis_layer
from tests.inbox.redis_server import PrivateRedis
from tests.inbox.sockets import close_code, db, open_inbox, open_socket, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def private_redis(tmp_path, settings):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = redis_layer(server.url)
    yield server
    server.stop()


async def abandon(socket) -> None:
    """Drop a socket whose consumer died with the channel layer (a server would close it 1011)."""
    with contextlib.suppress(Exception):
        await socket.disconnect()
    if socket.future.done() and not socket.future.cancelled():
        socket.future.exception()


async def refused_while_down(headers) -> bool:
    try:
        socket = await open_socket(headers)
    except Exception:  # noqa: BLE001 - the handshake itself failed
        return True
    return await close_code(socket) == 1013


async def reconnect(headers, attempts: int = 20):
    """What the browser script does: retry with a pause while the server answers 1013."""
    for _ in range(attempts):
        try:
            socket = await open_socket(headers)
        except Exception:  # noqa: BLE001 - the layer is not back yet
            await asyncio.sleep(0.1)
            continue
        first = await socket.receive_output(timeout=3)
        if first["type"] == "websocket.send":
            hello = json.loads(first["text"])
            unread = await socket.receive_json_from(timeout=3)
            assert unread["type"] == "unread"
            return socket, hello
        assert first == {"type": "websocket.close", "code": 1013}, first
        await asyncio.sleep(0.1)
    raise AssertionError("the inbox did not come back after Redis returned")


@run_async
async def test_event_published_during_outage_arrives_by_catch_up(
    private_redis, make_user, token_headers, caplog
):
    user = await db(make_user)(username="yamada.taro")
    headers = await db(token_headers)(user)
    socket, _, _ = await open_inbox(headers)
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    [first] = await receive_events(socket, 1)

    private_redis.stop()
    caplog.set_level(logging.WARNING, logger="referral_hub.inbox")
    started = time.monotonic()
    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="accepted")  # must not raise
    assert time.monotonic() - started < 5
    assert await db(InboxEvent.objects.filter(user=user, seq=2).exists)()
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("referral_hub.inbox")]
    assert any("clients will catch up" in message for message in warnings)
    assert not any("yamada" in message for message in warnings)
    await abandon(socket)

    # While the layer is down a new socket is refused, not left half-working: closed with 1013
    # (the default layer), or its handshake fails (the pub/sub layer cannot even create the
    # socket's channel). Either way the browser retries with back-off.
    assert await refused_while_down(headers)

    private_redis.start()
    socket, hello = await reconnect(headers)
    assert hello == {"type": "hello", "last_seq": 2}
    await socket.send_json_to({"type": "catch_up", "since": first["seq"]})
    missed = await socket.receive_json_from(timeout=3)
    assert (missed["seq"], missed["status"]) == (2, "accepted")
    assert await socket.receive_json_from(timeout=3) == {"type": "caught_up", "last_seq": 2}

    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="contacted")
    [live] = await receive_events(socket, 1)
    assert live["seq"] == 3
    await socket.disconnect()
