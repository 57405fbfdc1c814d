"""Every use of a library's private internals, in one place.

Two features need what Django and channels-redis do not publish:

* **Django's pending on-commit callbacks** (``connection.run_on_commit``, a list of
  ``(savepoint ids, callback, robust)`` since Django 4.2, filled by ``on_commit()``, emptied
  of a rolled-back savepoint's entries). ``audit.log.batched()`` keeps only the audit events
  whose marker callback is still registered (the rest were recorded in a rolled-back
  savepoint); ``inbox.publish`` joins one transaction's publishes into one delivery callback.
* **channels-redis's pub/sub layer** (``RedisPubSubChannelLayer._get_layer()`` and the loop
  layer's shards): ``inbox.delivery`` publishes one message per user through one Redis
  pipeline per shard instead of one awaited PUBLISH per group.

The versions these were written against are the upper bounds pinned in pyproject.toml
(``TESTED_RANGES`` below must match them), and tests/test_private_internals.py fails loudly
when an upgrade changes a shape relied on here. When it does: read the library's new code,
adapt this module, then raise the pin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, cast

from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = [
    "TESTED_RANGES",
    "OnCommitEntry",
    "pending_on_commit",
    "active_savepoints",
    "pubsub_loop_layer",
    "publish_pipelined",
]

TESTED_RANGES: dict[str, tuple[str, str]] = {
    # distribution: (lowest tested, first untested); pyproject.toml pins "<" the second.
    "django": ("5.2", "5.3"),
    "channels-redis": ("4.2", "4.4"),
}


class OnCommitEntry(NamedTuple):
    """One callback registered with ``transaction.on_commit`` in the open transaction.

    ``savepoints`` are the ids of the savepoints open when it was registered (rolling back any
    of them drops it); ``robust`` is ``on_commit``'s argument of that name."""

    savepoints: set[str]
    callback: Callable[[], Any]
    robust: bool


def pending_on_commit(connection: BaseDatabaseWrapper) -> Iterator[OnCommitEntry]:
    """The callbacks that will run when ``connection``'s outermost transaction commits, in
    registration order (those of rolled-back savepoints already dropped)."""
    for entry in connection.run_on_commit:
        # django-stubs still declares the pre-4.2 pair; Django 5.2 appends a triple.
        savepoints, callback, robust = cast("tuple[set[str], Callable[[], Any], bool]", entry)
        yield OnCommitEntry(savepoints, callback, robust)


def active_savepoints(connection: BaseDatabaseWrapper) -> set[str]:
    """The ids of the savepoints open on ``connection`` now (innermost last in Django's list)."""
    return set(connection.savepoint_ids)


# channels-redis: the loop layer's attributes and each shard's, as used below.
LOOP_LAYER_ATTRIBUTES = ("_get_group_channel_name", "_get_shard", "channel_layer", "_shards")
SHARD_ATTRIBUTES = ("_lock", "_ensure_redis", "_redis")


def pubsub_loop_layer(layer: Any) -> Any | None:
    """The event loop's channels-redis pub/sub layer behind ``layer``, or None when ``layer`` is
    not a ``RedisPubSubChannelLayer`` or its internals are not the shape used here (the caller
    then falls back to the public ``group_send``). Call it on the event loop that publishes."""
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels-redis is a dependency
        return None
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    loop_layer = layer._get_layer()
    if not all(hasattr(loop_layer, name) for name in LOOP_LAYER_ATTRIBUTES) or not all(
        hasattr(shard, name) for shard in loop_layer._shards for name in SHARD_ATTRIBUTES
    ):
        return None  # pragma: no cover - a channels-redis whose internals changed
    return loop_layer


async def publish_pipelined(
    loop_layer: Any, messages: Mapping[str, Mapping[str, Any]], timeout: float
) -> list[tuple[int, BaseException]]:
    """PUBLISH each group's message (``messages``: group name -> message) through one pipeline
    per Redis shard, each shard given ``timeout`` seconds. The channel names and serialisation
    are the layer's own, so the receivers see exactly what ``group_send`` would send.

    Returns one ``(messages not sent, exception)`` per shard whose pipeline failed or timed
    out; an empty list when everything was published."""
    by_shard: dict[Any, list[tuple[str, bytes]]] = {}
    for group, message in messages.items():
        channel = loop_layer._get_group_channel_name(group)
        payload = loop_layer.channel_layer.serialize(dict(message))
        by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, payload))

    async def publish(shard: Any, batch: list[tuple[str, bytes]]) -> None:
        async with shard._lock:  # the shard's own publish holds it too
            shard._ensure_redis()
            pipeline = shard._redis.pipeline(transaction=False)
            for channel, payload in batch:
                pipeline.publish(channel, payload)
            await pipeline.execute()

    failures: list[tuple[int, BaseException]] = []
    for shard, batch in by_shard.items():
        try:
            await asyncio.wait_for(publish(shard, batch), timeout)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who logs it
            failures.append((len(batch), exc))
    return failures
