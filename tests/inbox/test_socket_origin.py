"""The handshake's Origin check protects cookie sessions; token clients need no Origin
(issue 16, input 8; the decision is in referral_hub/inbox/origin.py and docs/api.md).

Driven through the real ASGI application (``referral_hub.asgi.application``)."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from referral_hub.asgi import application
from tests.inbox.sockets import TIMEOUT, db, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]

RIGHT_ORIGIN = (b"origin", b"http://localhost")
FOREIGN_ORIGIN = (b"origin", b"https://evil.example")


async def handshake(headers: list[tuple[bytes, bytes]]) -> tuple[bool, dict | None]:
    """Whether the handshake was accepted, and the first frame if it was."""
    socket = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    frame = await socket.receive_json_from(timeout=TIMEOUT) if connected else None
    await socket.disconnect()
    return connected, frame


@run_async
async def test_token_client_without_origin_is_accepted(make_user, token_headers):
    user = await db(make_user)()
    connected, hello = await handshake(await db(token_headers)(user))
    assert connected
    assert hello == {"type": "hello", "last_seq": 0}


@run_async
async def test_token_client_with_a_foreign_origin_is_accepted(make_user, token_headers):
    # A browser cannot put Authorization on a WebSocket: only a holder of the key can send it.
    user = await db(make_user)()
    connected, hello = await handshake([FOREIGN_ORIGIN, *await db(token_headers)(user)])
    assert connected
    assert hello == {"type": "hello", "last_seq": 0}


@run_async
async def test_cookie_handshake_without_origin_is_refused(make_user, session_headers):
    user = await db(make_user)()
    connected, _ = await handshake(await db(session_headers)(user))
    assert not connected


@run_async
async def test_cookie_handshake_from_a_foreign_origin_is_refused(make_user, session_headers):
    user = await db(make_user)()
    connected, _ = await handshake([FOREIGN_ORIGIN, *await db(session_headers)(user)])
    assert not connected


@run_async
async def test_cookie_handshake_from_the_site_is_accepted(make_user, session_headers):
    user = await db(make_user)()
    connected, hello = await handshake([RIGHT_ORIGIN, *await db(session_headers)(user)])
    assert connected
    assert hello == {"type": "hello", "last_seq": 0}


@run_async
async def test_empty_token_header_next_to_a_cookie_is_refused_as_unauthenticated(
    make_user, session_headers
):
    # A foreign page cannot add Authorization, but if something did, an empty one: the cookie
    # is ignored (Authorization decides alone), so the socket is refused as unauthenticated.
    user = await db(make_user)()
    headers = [FOREIGN_ORIGIN, (b"authorization", b"Token "), *await db(session_headers)(user)]
    socket = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    output = await socket.receive_output(timeout=TIMEOUT)
    assert (output["type"], output.get("code")) == ("websocket.close", 4401)
    await socket.disconnect()


@run_async
async def test_handshake_without_credentials_or_origin_is_refused():
    connected, _ = await handshake([])
    assert not connected
