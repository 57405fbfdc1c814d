"""A client that was away asks for everything after the last seq it saw and gets exactly the
missed events, in order (invariant 5)."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from referral_hub.inbox.selectors import CATCH_UP_BATCH
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]


async def catch_up(socket, since: int) -> tuple[list[dict], dict]:
    await socket.send_json_to({"type": "catch_up", "since": since})
    events = []
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] == "caught_up":
            return events, frame
        events.append(frame)


@run_async
async def test_catch_up_after_disconnect_returns_exactly_the_missed_events(
    make_user, token_headers
):
    user, someone_else = await db(make_user)(), await db(make_user)()
    headers = await db(token_headers)(user)
    socket, _, _ = await open_inbox(headers)
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    [seen] = await receive_events(socket, 1)
    await socket.disconnect()

    # While the laptop sleeps:
    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="acknowledged")
    await db(publish)([someone_else.pk], "sheet.received", sheet_id=2, status="sent")
    await db(publish)(
        [user.pk, someone_else.pk], "sheet.message", sheet_id=1, status="acknowledged"
    )
    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="accepted")

    socket, hello, _ = await open_inbox(headers)
    assert hello["last_seq"] == 4
    missed, done = await catch_up(socket, seen["seq"])

    assert [(e["seq"], e["type"], e["status"]) for e in missed] == [
        (2, "sheet.updated", "acknowledged"),
        (3, "sheet.message", "acknowledged"),
        (4, "sheet.updated", "accepted"),
    ]
    assert done == {"type": "caught_up", "last_seq": 4}
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


@run_async
async def test_catch_up_with_nothing_missed_only_confirms(make_user, token_headers):
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    missed, done = await catch_up(socket, 1)
    assert missed == []
    assert done["last_seq"] == 1
    await socket.disconnect()


@run_async
async def test_long_backlog_arrives_complete_and_in_order_across_batches(make_user, token_headers):
    user = await db(make_user)()
    backlog = CATCH_UP_BATCH * 2 + 17

    def publish_backlog() -> None:
        for number in range(backlog):
            publish([user.pk], "sheet.updated", sheet_id=number % 13, status="sent")

    await db(publish_backlog)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    missed, done = await catch_up(socket, 5)
    assert [event["seq"] for event in missed] == list(range(6, backlog + 1))
    assert done["last_seq"] == backlog
    await socket.disconnect()


@run_async
async def test_live_copy_of_an_event_already_caught_up_is_not_sent_twice(make_user, token_headers):
    from channels.layers import get_channel_layer

    from referral_hub.inbox.delivery import PUSH, user_group
    from referral_hub.inbox.models import InboxEvent
    from referral_hub.inbox.payloads import event_payload, unread_payload

    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    caught_up, _ = await catch_up(socket, 0)
    assert [event["seq"] for event in caught_up] == [1]

    # The push of seq 1 was slow (another worker, a busy Redis) and arrives after the catch-up.
    event = await db(InboxEvent.objects.get)(user=user, seq=1)
    late_push = {"type": PUSH, "frames": [event_payload(event), unread_payload({"inbox": 1})]}
    await get_channel_layer().group_send(user_group(user.pk), late_push)

    # Neither the event nor the counts that travelled with it go out a second time.
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


@run_async
async def test_catch_up_since_beyond_the_end_reports_the_real_last_seq(make_user, token_headers):
    # A client restored from another device's storage asks for more than exists: it must learn
    # the real last seq (2), not have its own number (50) echoed back as if it were the server's.
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    await db(publish)([user.pk], "sheet.updated", sheet_id=1, status="acknowledged")
    socket, hello, _ = await open_inbox(await db(token_headers)(user))
    assert hello["last_seq"] == 2

    missed, done = await catch_up(socket, 50)

    assert missed == []
    assert done == {"type": "caught_up", "last_seq": 2}
    await socket.disconnect()
