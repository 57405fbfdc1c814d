"""A client that follows the documented gap rule (a live seq skips ahead → ``catch_up`` from
the last seq it saw) receives every event exactly once (issue 14, input 6): the server sends
in a catch-up only what this socket has not sent yet."""

from __future__ import annotations

import pytest

from referral_hub.inbox.consumers import InboxConsumer
from referral_hub.inbox.delivered import SentSeqs
from referral_hub.inbox.publish import publish
from tests.inbox.conftest import MEMORY_LAYER
from tests.inbox.sockets import db, drain, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True)]

# Another process's layer that no socket listens to: a push published there is lost.
LOST_PUSH_LAYER = {"default": {**MEMORY_LAYER["default"], "CONFIG": {"capacity": 50}}}


@pytest.fixture
def no_periodic_resync(monkeypatch):
    """Only the client's catch-up may fill the gap in these tests."""
    monkeypatch.setattr(InboxConsumer, "resync_seconds", 3600.0)


async def catch_up(socket, since: int) -> tuple[list[dict], dict]:
    await socket.send_json_to({"type": "catch_up", "since": since})
    events = []
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] == "caught_up":
            return events, frame
        if frame["type"] != "unread":
            events.append(frame)


@pytest.mark.redis
@pytest.mark.usefixtures("redis_channel_layer", "no_periodic_resync")
@run_async
async def test_gap_rule_catch_up_does_not_resend_the_frame_that_revealed_the_gap(
    make_user, token_headers, settings
):
    user = await db(make_user)()
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 0
    live_layer = settings.CHANNEL_LAYERS

    settings.CHANNEL_LAYERS = LOST_PUSH_LAYER  # seq 1's push never reaches the socket
    await db(publish)([user.pk], "sheet.received", sheet_id=11, status="sent")
    settings.CHANNEL_LAYERS = live_layer
    await db(publish)([user.pk], "sheet.updated", sheet_id=12, status="acknowledged")
    [live] = await receive_events(socket, 1)
    assert live["seq"] == 2  # one above the last seen (0) + 1: the client catches up from 0

    missed, done = await catch_up(socket, 0)
    assert [(e["seq"], e["sheet"]) for e in missed] == [(1, 11)]
    assert done == {"type": "caught_up", "last_seq": 2}
    assert [f for f in await drain(socket) if f["type"] != "unread"] == []
    await socket.disconnect()


@pytest.mark.redis
@pytest.mark.usefixtures("redis_channel_layer", "no_periodic_resync")
@run_async
async def test_repeated_catch_up_into_history_sends_each_event_once(make_user, token_headers):
    user = await db(make_user)()
    for sheet_id in (1, 2, 3):
        await db(publish)([user.pk], "sheet.updated", sheet_id=sheet_id, status="sent")
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 3

    first, _ = await catch_up(socket, 1)
    await db(publish)([user.pk], "sheet.updated", sheet_id=4, status="sent")
    [live] = await receive_events(socket, 1)
    again, done = await catch_up(socket, 0)

    assert [e["seq"] for e in first] == [2, 3]
    assert live["seq"] == 4
    assert [e["seq"] for e in again] == [1]
    assert done["last_seq"] == 4
    await socket.disconnect()


def test_sent_seqs_merge_into_ranges():
    sent = SentSeqs()
    for seq in (5, 3, 4, 9, 1, 10, 2):
        sent.add(seq)
    assert sent.ranges == [[1, 5], [9, 10]]
    assert 4 in sent and 9 in sent
    assert 6 not in sent and 0 not in sent and 11 not in sent
