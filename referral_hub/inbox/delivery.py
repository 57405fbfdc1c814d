"""Pushing to the channel layer: best effort, after commit, never raising into the caller.

The stored InboxEvent rows are the truth. A push that fails (Redis down, a slow layer) is logged
without personal data and dropped; the client receives the event by catch-up when it
reconnects (DESIGN.md invariant 5).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# A push waits at most this long for the channel layer; a request must not hang on Redis.
PUSH_TIMEOUT_SECONDS = 2.0
# channels-redis opens a connection per concurrent command; keep the fan-out of one publish
# to a bounded number of connections.
MAX_CONCURRENT_SENDS = 32

PUSH = "inbox.push"  # handled by InboxConsumer.inbox_push
RECHECK = "inbox.recheck"  # handled by InboxConsumer.inbox_recheck


def user_group(user_id: int) -> str:
    """Each socket joins the group of its user, so one send reaches every open tab once."""
    return f"inbox.user.{int(user_id)}"


async def send_to_users(messages: Mapping[int, Mapping[str, Any]]) -> int:
    """Send each user's message to their group; return how many sends failed."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return 0
    pipelined = _pipelined_publisher(layer)
    if pipelined is not None:
        return await _publish_pipelined(pipelined, messages)
    gate = asyncio.Semaphore(MAX_CONCURRENT_SENDS)

    async def send(user_id: int, message: Mapping[str, Any]) -> None:
        async with gate:
            await layer.group_send(user_group(user_id), dict(message))

    tasks = [asyncio.ensure_future(send(user_id, message)) for user_id, message in messages.items()]
    done, pending = await asyncio.wait(tasks, timeout=PUSH_TIMEOUT_SECONDS)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        logger.warning(
            "inbox push timed out after %.1fs for %d of %d users; clients will catch up",
            PUSH_TIMEOUT_SECONDS,
            len(pending),
            len(messages),
        )
    failures = [task.exception() for task in done if task.exception() is not None]
    if failures:
        logger.warning(
            "inbox push failed for %d of %d users (%s); clients will catch up",
            len(failures),
            len(messages),
            type(failures[0]).__name__,
        )
    return len(failures) + len(pending)


def _pipelined_publisher(layer: Any) -> Any | None:
    """The event loop's channels-redis pub/sub layer, if ``layer`` is one, else None.

    Its ``group_send`` is one PUBLISH per group, awaited one after the other under the shard's
    lock: a sheet for a desk of 500 waited for 500 round trips to Redis, each needing a turn of
    the event loop that is busy writing frames to sockets. Publishing the same messages
    (same channel names, same serialisation) through one pipeline per shard takes one round
    trip. The attributes used are channels-redis 4.x internals; if they are missing, every
    user gets a plain ``group_send``."""
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a dependency
        return None
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    loop_layer = layer._get_layer()
    needed = ("_get_group_channel_name", "_get_shard", "channel_layer", "_shards")
    if not all(hasattr(loop_layer, name) for name in needed) or not all(
        hasattr(shard, name)
        for shard in loop_layer._shards
        for name in ("_lock", "_ensure_redis", "_redis")
    ):
        return None  # pragma: no cover - a channels-redis whose internals changed
    return loop_layer


async def _publish_pipelined(loop_layer: Any, messages: Mapping[int, Mapping[str, Any]]) -> int:
    """PUBLISH every user's message through one pipeline per Redis shard; return how many
    messages were not sent (all of a shard's when its pipeline fails or times out)."""
    by_shard: dict[Any, list[tuple[str, bytes]]] = {}
    for user_id, message in messages.items():
        channel = loop_layer._get_group_channel_name(user_group(user_id))
        payload = loop_layer.channel_layer.serialize(dict(message))
        by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, payload))

    async def publish(shard: Any, batch: list[tuple[str, bytes]]) -> None:
        async with shard._lock:  # the shard's own publish holds it too
            shard._ensure_redis()
            pipeline = shard._redis.pipeline(transaction=False)
            for channel, payload in batch:
                pipeline.publish(channel, payload)
            await pipeline.execute()

    failed = 0
    for shard, batch in by_shard.items():
        try:
            await asyncio.wait_for(publish(shard, batch), PUSH_TIMEOUT_SECONDS)
        except Exception as exc:  # noqa: BLE001 - counted and logged; clients catch up
            failed += len(batch)
            logger.warning(
                "inbox push failed for %d of %d users (%s); clients will catch up",
                len(batch),
                len(messages),
                type(exc).__name__,
            )
    return failed


def push_to_users(messages: Mapping[int, Mapping[str, Any]]) -> None:
    """Blocking wrapper for sync code (service functions' on_commit hooks). Never raises."""
    if not messages:
        return
    try:
        async_to_sync(send_to_users)(messages)
    except Exception as exc:  # noqa: BLE001 - the events are stored; delivery is best effort
        logger.warning(
            "inbox push failed for %d users (%s); clients will catch up",
            len(messages),
            type(exc).__name__,
        )
