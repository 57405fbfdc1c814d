"""Several ASGI worker processes behind one Redis deliver each event exactly once per connected
socket (issue 6): uvicorn with two workers on PostgreSQL and channels-redis, tabs of the same
user spread over both workers, sheets sent through the HTTP API."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.servers import (
    Api,
    drop_database,
    manage,
    recreate_database,
    resident_with_consent,
    send_sheet,
    server_env,
    unique_kana,
    uvicorn,
)

pytestmark = pytest.mark.redis

PASSWORD = "workers-pass-2026"
MAX_TABS_PER_USER = 40
SHEETS = 4


@pytest.fixture
def postgres_url() -> Any:
    """A database of its own on the suite's PostgreSQL server, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs PostgreSQL (DATABASE_URL): several processes share the database")
    own = url.rsplit("/", 1)[0] + f"/rh_workers_{uuid.uuid4().hex[:8]}"
    recreate_database(own)
    yield own
    drop_database(own)


@pytest.fixture
def two_workers(postgres_url: str, redis_url: str) -> Any:
    data_dir = Path(tempfile.mkdtemp(prefix="referral-hub-workers-"))
    env = server_env(data_dir, DATABASE_URL=postgres_url, REDIS_URL=redis_url)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--force", "--password", PASSWORD)
    try:
        with uvicorn(env, data_dir / "server.log", workers=2) as port:
            yield port
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_each_event_reaches_each_socket_exactly_once_across_two_workers(two_workers, redis_url):
    # Its own loop in its own thread: after the browser tests Playwright keeps a loop running
    # in the main thread.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _scenario(two_workers, redis_url)).result(timeout=120)


def _workers_holding(redis_url: str, user_id: int) -> int:
    """How many worker processes subscribe to the user's group: the pub/sub layer subscribes
    each worker once per group it holds sockets of."""
    client = redis.Redis.from_url(redis_url)
    try:
        channels = client.pubsub_channels(f"*inbox.user.{user_id}")
        return sum(count for _, count in client.pubsub_numsub(*channels)) if channels else 0
    finally:
        client.close()


async def _scenario(port: int, redis_url: str) -> None:
    from websockets.asyncio.client import connect

    base = f"http://127.0.0.1:{port}"
    clerk = Api(base, "tax_clerk", PASSWORD)
    sockets = []
    for name in ("consult1", "consult2"):
        staff = Api(base, name, PASSWORD)
        me = staff.get("/api/v1/me/")
        # Open tabs until both workers hold some of this user's sockets (where a new
        # connection lands is up to the kernel).
        for _ in range(MAX_TABS_PER_USER):
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/inbox/",
                additional_headers={"Authorization": f"Token {staff.token}"},
                origin=base,
            )
            hello = json.loads(await ws.recv())  # sent after the socket joined its group
            assert hello["type"] == "hello"
            sockets.append((name, ws))
            tabs = sum(1 for user, _ in sockets if user == name)
            if tabs >= 3 and _workers_holding(redis_url, me["id"]) == 2:
                break
        assert _workers_holding(redis_url, me["id"]) == 2, f"{name}: one worker holds all tabs"

    def send_sheets() -> list[int]:
        sent = []
        for _ in range(SHEETS):
            known = resident_with_consent(
                clerk,
                unique_kana("フクスウ"),
                desks=["jiritsu"],
                categories=["identity", "concern"],
            )
            sent.append(send_sheet(clerk, known["resident"]["id"], known["consent"]["id"])["id"])
        return sent

    # The sockets keep receiving (into their buffers) while the requests run in a thread.
    sent = await asyncio.to_thread(send_sheets)

    async def events_of(ws: Any) -> list[dict]:
        """Every event frame until the socket has been quiet for a second."""
        events = []
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
            except TimeoutError:
                return events
            if frame["type"] not in ("unread", "hello"):
                events.append(frame)

    received = await asyncio.gather(*(events_of(ws) for _, ws in sockets))
    for (name, ws), events in zip(sockets, received, strict=True):
        assert [e["sheet"] for e in events if e["type"] == "sheet.received"] == sent, name
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(set(seqs)), (name, seqs)  # no event twice, in order
        await ws.close()
    # Tabs of one user saw the same numbered events.
    by_user: dict[str, set[tuple]] = {}
    for (name, _), events in zip(sockets, received, strict=True):
        by_user.setdefault(name, set()).add(tuple((e["seq"], e["type"]) for e in events))
    assert all(len(views) == 1 for views in by_user.values()), by_user
