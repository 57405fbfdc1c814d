"""Helpers for driving ``/ws/inbox/`` through the real ASGI application."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from referral_hub.asgi import application

ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 3


def run_async(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test body on a fresh event loop (no pytest-asyncio needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async_to_sync(test)(*args, **kwargs)

    return wrapper


def db(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Call blocking ORM code (publish, mark read, ...) from a test body."""
    return database_sync_to_async(function)


async def open_socket(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    """Connect and complete the handshake (the server accepts before it checks credentials)."""
    socket = WebsocketCommunicator(application, "/ws/inbox/", headers=[ORIGIN, *headers])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    return socket


async def open_inbox(
    headers: list[tuple[bytes, bytes]],
) -> tuple[WebsocketCommunicator, dict, dict]:
    """Connect an authenticated socket; return it with its hello and unread frames."""
    socket = await open_socket(headers)
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    unread = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello", hello
    assert unread["type"] == "unread", unread
    return socket, hello, unread


async def close_code(socket: WebsocketCommunicator) -> int | None:
    """The code the server closed with (waits for the close frame)."""
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def receive_events(socket: WebsocketCommunicator, count: int) -> list[dict]:
    """The next ``count`` event frames, skipping unread-count frames."""
    events: list[dict] = []
    while len(events) < count:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] != "unread":
            events.append(frame)
    return events


async def drain(socket: WebsocketCommunicator, quiet: float = 0.2) -> list[dict]:
    """Every frame already on its way, until the socket has been quiet for ``quiet`` seconds."""
    frames: list[dict] = []
    while not await socket.receive_nothing(timeout=quiet):
        frames.append(await socket.receive_json_from(timeout=TIMEOUT))
    return frames
