"""Each event reaches every socket of every recipient exactly once, and nobody else."""

from __future__ import annotations

import pytest

from referral_hub.inbox.publish import publish
from tests.inbox.sockets import db, open_inbox, receive_events, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("any_layer")]


@run_async
async def test_every_recipient_receives_the_event(make_user, token_headers):
    desk_member_1, desk_member_2, sender = [await db(make_user)() for _ in range(3)]
    sockets = [
        (await open_inbox(await db(token_headers)(user)))[0]
        for user in (desk_member_1, desk_member_2, sender)
    ]

    await db(publish)(
        [desk_member_1.pk, desk_member_2.pk],
        "sheet.received",
        box="inbox",
        sheet_id=9,
        status="sent",
    )
    await db(publish)([sender.pk], "sheet.updated", box="sent", sheet_id=9, status="sent")

    for socket, expected_type in zip(
        sockets, ["sheet.received", "sheet.received", "sheet.updated"], strict=True
    ):
        [event] = await receive_events(socket, 1)
        assert (event["type"], event["seq"], event["sheet"]) == (expected_type, 1, 9)
        await socket.disconnect()


@run_async
async def test_event_and_fresh_counts_arrive_together(make_user, token_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    await db(publish)([user.pk], "sheet.received", box="inbox", sheet_id=3, status="sent")

    event = await socket.receive_json_from(timeout=3)
    counts = await socket.receive_json_from(timeout=3)
    assert event["type"] == "sheet.received"
    assert counts == {"type": "unread", "counts": {"inbox": 1, "sent": 0, "overdue": 0}}
    await socket.disconnect()


@run_async
async def test_every_open_tab_of_a_user_receives_it_once(make_user, token_headers):
    user = await db(make_user)()
    tabs = [(await open_inbox(await db(token_headers)(user)))[0] for _ in range(3)]

    await db(publish)([user.pk], "sheet.message", sheet_id=4, status="accepted")

    for tab in tabs:
        [event] = await receive_events(tab, 1)
        assert event["seq"] == 1
        await tab.receive_json_from(timeout=3)  # its unread frame
        assert await tab.receive_nothing(timeout=0.2)
        await tab.disconnect()


@run_async
async def test_users_outside_the_recipients_receive_nothing(make_user, token_headers):
    recipient, other_desk = await db(make_user)(), await db(make_user)()
    recipient_socket, _, _ = await open_inbox(await db(token_headers)(recipient))
    other_socket, _, _ = await open_inbox(await db(token_headers)(other_desk))

    await db(publish)([recipient.pk], "sheet.received", sheet_id=8, status="sent")

    [event] = await receive_events(recipient_socket, 1)
    assert event["sheet"] == 8
    assert await other_socket.receive_nothing(timeout=0.3)
    await recipient_socket.disconnect()
    await other_socket.disconnect()


@run_async
async def test_nothing_is_pushed_for_a_rolled_back_change(make_user, token_headers):
    from django.db import transaction

    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))

    def failed_action() -> None:
        try:
            with transaction.atomic():
                publish([user.pk], "sheet.updated", sheet_id=1, status="accepted")
                raise RuntimeError("the state change failed")
        except RuntimeError:
            pass

    await db(failed_action)()
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()
