"""Private internals contained (issue 16): the Django and channels-redis internals the project
relies on live in referral_hub/internals.py, the installed versions are within the range they
were written against (pinned in pyproject.toml), and every shape relied on is asserted here, so
an upgrade that changes one fails these tests by name instead of silently dropping audit rows
(``audit.log.batched``), delivery joins (``inbox.publish``) or the pipelined push."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

import referral_hub
from referral_hub import internals

ROOT = Path(referral_hub.__file__).parent.parent
PACKAGE = ROOT / "referral_hub"


def _minor(text: str) -> tuple[int, int]:
    major, minor = re.match(r"(\d+)\.(\d+)", text).groups()  # type: ignore[union-attr]
    return int(major), int(minor)


@pytest.mark.parametrize("distribution", sorted(internals.TESTED_RANGES))
def test_installed_version_is_within_the_range_the_internals_were_written_for(distribution):
    lowest, first_untested = internals.TESTED_RANGES[distribution]
    installed = version(distribution)

    assert _minor(lowest) <= _minor(installed) < _minor(first_untested), (
        f"{distribution} {installed} is outside the tested range [{lowest}, {first_untested}): "
        "check referral_hub/internals.py against its code, then move the range and the pin"
    )


@pytest.mark.parametrize("distribution", sorted(internals.TESTED_RANGES))
def test_pyproject_pins_the_tested_range_as_upper_bound(distribution):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = {
        re.split(r"[<>=!~\[ ]", dep, maxsplit=1)[0].lower(): dep.replace(" ", "")
        for dep in project["project"]["dependencies"]
    }
    lowest, first_untested = internals.TESTED_RANGES[distribution]

    assert f">={lowest}" in specs[distribution]
    assert f"<{first_untested}" in specs[distribution]


# --- Django: connection.run_on_commit ----------------------------------------------------------


def test_django_on_commit_still_takes_func_and_robust():
    parameters = list(inspect.signature(BaseDatabaseWrapper.on_commit).parameters)

    assert parameters == ["self", "func", "robust"]


@pytest.mark.django_db
def test_django_keeps_pending_callbacks_as_savepoints_callback_robust_triples():
    def marker() -> None:
        pass

    def other() -> None:
        pass

    with transaction.atomic():
        transaction.on_commit(marker)
        with transaction.atomic():
            savepoint = connection.savepoint_ids[-1]
            transaction.on_commit(other, robust=True)

            raw = connection.run_on_commit
            assert isinstance(raw, list) and all(
                isinstance(entry, tuple) and len(entry) == 3 for entry in raw
            )
            entries = list(internals.pending_on_commit(connection))
            assert [entry.callback for entry in entries][-2:] == [marker, other]
            assert entries[-1].robust is True and entries[-2].robust is False
            assert savepoint in entries[-1].savepoints
            assert savepoint not in entries[-2].savepoints
            assert entries[-1].savepoints <= internals.active_savepoints(connection)


@pytest.mark.django_db
def test_django_drops_a_rolled_back_savepoints_callbacks_from_the_pending_list():
    def kept() -> None:
        pass

    def dropped() -> None:
        pass

    with transaction.atomic():
        transaction.on_commit(kept)
        try:
            with transaction.atomic():
                transaction.on_commit(dropped)
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        callbacks = [entry.callback for entry in internals.pending_on_commit(connection)]

    assert kept in callbacks and dropped not in callbacks


# --- channels-redis: the pub/sub layer's shards ------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set")
    return url


@pytest.mark.redis
def test_channels_redis_pubsub_layer_has_the_shape_the_pipelined_push_uses(redis_url):
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def check() -> None:
        layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=f"rh-int-{uuid.uuid4().hex[:8]}")
        loop_layer = internals.pubsub_loop_layer(layer)
        assert loop_layer is not None, "channels-redis internals changed: see internals.py"
        try:
            assert list(inspect.signature(loop_layer._get_group_channel_name).parameters) == [
                "group"
            ]
            channel = loop_layer._get_group_channel_name("inbox.user.1")
            assert isinstance(channel, str)
            assert loop_layer._get_shard(channel) in loop_layer._shards
            assert isinstance(loop_layer.channel_layer.serialize({"type": "x"}), bytes)
            for shard in loop_layer._shards:
                assert isinstance(shard._lock, asyncio.Lock)
                assert inspect.signature(shard._ensure_redis).parameters == {}
                assert not inspect.iscoroutinefunction(shard._ensure_redis)
                shard._ensure_redis()
                assert hasattr(shard._redis, "pipeline")

            # The pipelined publish reaches a group member exactly as group_send would.
            receiver = await layer.new_channel()
            await layer.group_add("inbox.user.1", receiver)
            failures = await internals.publish_pipelined(
                loop_layer, {"inbox.user.1": {"type": "inbox.push", "frames": [1]}}, 2.0
            )
            assert failures == []
            received = await asyncio.wait_for(layer.receive(receiver), 2.0)
            assert received == {"type": "inbox.push", "frames": [1]}
        finally:
            await layer.flush()

    # Its own loop in its own thread: after the browser tests Playwright keeps a loop running
    # in the main thread, where asyncio.run() refuses to start.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, check()).result(timeout=60)


def test_the_memory_layer_is_not_taken_for_the_pubsub_layer():
    from channels.layers import InMemoryChannelLayer

    assert internals.pubsub_loop_layer(InMemoryChannelLayer()) is None


# --- contained: no other module touches them ---------------------------------------------------

PRIVATE = re.compile(
    r"run_on_commit|savepoint_ids|_get_layer\(|\._shards|_ensure_redis|_get_group_channel_name"
)


def test_no_module_but_internals_touches_these_private_attributes():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "internals.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]

    assert offenders == []
