"""Several ASGI worker processes behind one Redis deliver each event exactly once per connected
socket (issue 6): uvicorn with two workers on PostgreSQL and channels-redis, tabs of the same
user spread over both workers, sheets sent through the HTTP API."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from tests.servers import manage, server_env, uvicorn

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
    name = f"rh_workers_{uuid.uuid4().hex[:8]}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def _api(port: int, path: str, body: dict | None = None, token: str = "") -> tuple[int, Any]:
    """One JSON request (POST with a body, else GET)."""
    request = urllib.request.Request(  # noqa: S310 - a local test server
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Host": "127.0.0.1"}
        | ({"Authorization": f"Token {token}"} if token else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _send_sheets(port: int, clerk: str) -> list[int]:
    """Register a resident and a consent for jiritsu, then send the sheet, SHEETS times."""
    _, desks = _api(port, "/api/v1/desks/", token=clerk)
    desks = desks["results"] if isinstance(desks, dict) else desks
    jiritsu = next(desk["id"] for desk in desks if desk["code"] == "jiritsu")
    sent = []
    for n in range(SHEETS):
        status, resident = _api(
            port, "/api/v1/residents/",
            {"family_name": "複数", "given_name": f"太郎{n}", "family_name_kana": "フクスウ",
             "given_name_kana": "タロウ", "birth_date": f"198{n}-05-06"},
            clerk,
        )  # fmt: skip
        assert status == 201, resident
        status, consent = _api(
            port, "/api/v1/consents/",
            {"resident": resident["id"], "recipients": [jiritsu],
             "categories": ["identity", "concern"], "purpose": "相談のため",
             "method": "verbal_witnessed", "witness": "収納 花子", "valid_until": "2099-12-31"},
            clerk,
        )  # fmt: skip
        assert status == 201, consent
        status, sheet = _api(
            port, "/api/v1/sheets/",
            {"resident": resident["id"], "to_desk": "jiritsu", "concerns": ["tax_arrears"],
             "summary": "滞納の相談", "urgency": "normal", "legal_basis": "consent",
             "consent": consent["id"], "handoff_method": "phoned"},
            clerk,
        )  # fmt: skip
        assert status == 201, sheet
        sent.append(sheet["id"])
    return sent


def _token(port: int, username: str) -> str:
    status, body = _api(port, "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert status == 201, body
    return body["token"]


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

    clerk = _token(port, "tax_clerk")
    sockets = []
    for name in ("consult1", "consult2"):
        key = _token(port, name)
        _, me = _api(port, "/api/v1/me/", token=key)
        # Open tabs until both workers hold some of this user's sockets (where a new
        # connection lands is up to the kernel).
        for _ in range(MAX_TABS_PER_USER):
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/inbox/",
                additional_headers={"Authorization": f"Token {key}"},
                origin=f"http://127.0.0.1:{port}",
            )
            hello = json.loads(await ws.recv())  # sent after the socket joined its group
            assert hello["type"] == "hello"
            sockets.append((name, ws))
            tabs = sum(1 for user, _ in sockets if user == name)
            if tabs >= 3 and _workers_holding(redis_url, me["id"]) == 2:
                break
        assert _workers_holding(redis_url, me["id"]) == 2, f"{name}: one worker holds all tabs"
    # The sockets keep receiving (into their buffers) while the requests run in a thread.
    sent = await asyncio.to_thread(_send_sheets, port, clerk)

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
