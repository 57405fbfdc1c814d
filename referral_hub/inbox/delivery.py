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

from referral_hub import internals

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
    pipelined = internals.pubsub_loop_layer(layer)
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


async def _publish_pipelined(loop_layer: Any, messages: Mapping[int, Mapping[str, Any]]) -> int:
    """PUBLISH every user's message through one pipeline per Redis shard; return how many
    messages were not sent (all of a shard's when its pipeline fails or times out).

    channels-redis's own ``group_send`` is one PUBLISH per group, awaited one after the other
    under the shard's lock: a sheet for a desk of 500 waited for 500 round trips to Redis, each
    needing a turn of the event loop that is busy writing frames to sockets. One pipeline per
    shard takes one round trip (channels-redis internals: :mod:`referral_hub.internals`)."""
    by_group = {user_group(user_id): message for user_id, message in messages.items()}
    failures = await internals.publish_pipelined(loop_layer, by_group, PUSH_TIMEOUT_SECONDS)
    for unsent, exc in failures:
        logger.warning(
            "inbox push failed for %d of %d users (%s); clients will catch up",
            unsent,
            len(messages),
            type(exc).__name__,
        )
    return sum(unsent for unsent, _ in failures)


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
