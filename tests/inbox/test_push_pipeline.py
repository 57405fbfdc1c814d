"""On the channels-redis pub/sub layer, one publish reaches all its recipients through one Redis
pipeline (one round trip), not one awaited PUBLISH per user; a Redis that does not answer makes
the push fail quietly, never the caller."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from referral_hub.inbox.delivery import send_to_users
from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

PUBSUB = "channels_redis.pubsub.RedisPubSubChannelLayer"


@pytest.fixture
def pubsub_layer(settings: Any, redis_channel_layer: str) -> None:
    """The pub/sub layer (the production default) whatever CHANNEL_LAYER the run chose."""
    layers = settings.CHANNEL_LAYERS
    settings.CHANNEL_LAYERS = {"default": {**layers["default"], "BACKEND": PUBSUB}}


@pytest.fixture
def pipelines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many commands each executed Redis pipeline carried."""
    from redis.asyncio.client import Pipeline

    sizes: list[int] = []
    original = Pipeline.execute

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(self.command_stack))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", execute)
    return sizes


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("pubsub_layer")
@run_async
async def test_a_desk_wide_publish_is_one_pipeline_and_reaches_every_socket(
    make_user, token_headers, pipelines
):
    desk = [await db(make_user)() for _ in range(12)]
    outsider = await db(make_user)()
    sockets = [(await open_inbox(await db(token_headers)(user)))[0] for user in desk]
    outsider_socket, _, _ = await open_inbox(await db(token_headers)(outsider))

    pipelines.clear()
    await db(publish)([user.pk for user in desk], "sheet.received", sheet_id=7, status="sent")

    assert pipelines == [len(desk)]  # one PUBLISH per user, all in one round trip
    for socket in sockets:
        [event] = await receive_events(socket, 1)
        assert (event["type"], event["seq"], event["sheet"]) == ("sheet.received", 1, 7)
        unread = await socket.receive_json_from(timeout=3)
        assert unread == {"type": "unread", "counts": {"inbox": 1, "sent": 0, "overdue": 0}}
        assert await socket.receive_nothing(timeout=0.1)
        await socket.disconnect()
    assert await outsider_socket.receive_nothing(timeout=0.2)
    await outsider_socket.disconnect()


def test_an_unreachable_redis_fails_the_push_not_the_caller(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": PUBSUB, "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    messages = {user_id: {"type": "inbox.push", "frames": []} for user_id in (1, 2, 3)}
    # A loop of its own in a thread of its own: the browser tests' Playwright keeps an event
    # loop running in the main thread, where async_to_sync refuses to start another.
    with (
        caplog.at_level(logging.WARNING, logger="referral_hub.inbox.delivery"),
        ThreadPoolExecutor(max_workers=1) as thread,
    ):
        failed = thread.submit(asyncio.run, send_to_users(messages)).result(timeout=30)
    assert failed == 3
    [record] = caplog.records
    assert record.getMessage() == (
        "inbox push failed for 3 of 3 users (ConnectionError); clients will catch up"
    )
