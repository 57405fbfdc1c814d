"""A live push reaches the socket without Channels' per-message database cleanup: that cleanup
is a thread hop, and a push is the message every event brings to every recipient's socket."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, drain, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]


@pytest.fixture
def cleanups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every ``aclose_old_connections`` Channels runs before a handler (and still run it)."""
    import channels.consumer

    calls: list[str] = []
    original = channels.consumer.aclose_old_connections

    async def counted() -> None:
        calls.append("cleanup")
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    return calls


@run_async
async def test_push_skips_the_connection_cleanup_other_messages_still_get(
    make_user, token_headers, cleanups
):
    user = await db(make_user)()
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert cleanups, "the handshake went through Channels' dispatch with its cleanup"

    cleanups.clear()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="acknowledged")
    events = await receive_events(socket, 2)
    assert [event["seq"] for event in events] == [hello["last_seq"] + 1, hello["last_seq"] + 2]
    await drain(socket)  # the counts that came with the second event
    assert cleanups == []

    # A client frame is still dispatched the stock way.
    await socket.send_json_to({"type": "catch_up", "since": 0})
    frames = []
    while not frames or frames[-1]["type"] != "caught_up":
        frames.append(await socket.receive_json_from(timeout=5))
    # Both events went out live already: the catch-up only confirms them (sent once per socket).
    assert frames == [{"type": "caught_up", "last_seq": 2}]
    assert cleanups == ["cleanup"]
    await socket.disconnect()
