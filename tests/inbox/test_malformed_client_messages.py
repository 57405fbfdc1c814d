"""A client message the server cannot use is answered with an error frame; the socket stays
open and keeps working."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]

MALFORMED_TEXT = [
    "not json",
    "[1, 2]",
    '"catch_up"',
    "{}",
    '{"type": "subscribe", "desk": 3}',
    '{"type": "catch_up"}',
    '{"type": "catch_up", "since": "5"}',
    '{"type": "catch_up", "since": -1}',
    '{"type": "catch_up", "since": 1.5}',
    '{"type": "catch_up", "since": true}',
    '{"type": "catch_up", "since": null}',
    '{"type": "catch_up", "since": 0, "pad": "' + "x" * 2000 + '"}',
]


@run_async
async def test_each_malformed_message_gets_an_error_and_the_socket_stays_usable(
    make_user, token_headers
):
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    socket, _, _ = await open_inbox(await db(token_headers)(user))

    for text in MALFORMED_TEXT:
        await socket.send_to(text_data=text)
        assert await socket.receive_json_from(timeout=3) == {
            "type": "error",
            "code": "malformed",
        }, text
    await socket.send_to(bytes_data=b"\x00\x01")
    assert await socket.receive_json_from(timeout=3) == {"type": "error", "code": "malformed"}

    await socket.send_json_to({"type": "catch_up", "since": 0})
    event = await socket.receive_json_from(timeout=3)
    assert (event["type"], event["seq"]) == ("sheet.received", 1)
    assert (await socket.receive_json_from(timeout=3))["type"] == "caught_up"
    await socket.disconnect()
