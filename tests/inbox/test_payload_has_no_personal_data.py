"""Every frame a socket receives carries ids, codes, statuses and counts only (invariant 8)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from referral_hub.inbox.publish import publish
from referral_hub.inbox.read_state import mark_sheet_read
from tests.inbox.sockets import db, open_inbox, run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("memory_layer")]

EVENT_KEYS = {"type", "seq", "sheet", "status", "at", "box"}
# What services may add through ``extra`` (handoffs/notify.py): ids, codes and counts; desks by
# their code (``owner_desk``), as in every API response.
EXTRA_KEYS = {"owner_desk", "urgency", "alert", "redirects", "consent", "from_desk", "to_desk"}
FRAME_SCHEMAS: dict[str, set[str]] = {
    "hello": {"type", "last_seq"},
    "unread": {"type", "counts"},
    "caught_up": {"type", "last_seq"},
    "error": {"type", "code"},
}
CODE = re.compile(r"^[A-Za-z0-9_.:+\-]*$")  # ISO timestamps use ':' and '+'


def assert_frame_is_safe(frame: dict[str, Any]) -> None:
    if frame["type"] in FRAME_SCHEMAS:
        assert set(frame) == FRAME_SCHEMAS[frame["type"]], frame
        if frame["type"] == "unread":
            assert set(frame["counts"]) == {"inbox", "sent", "overdue"}
            assert all(type(n) is int for n in frame["counts"].values())
        return
    assert EVENT_KEYS <= set(frame) <= EVENT_KEYS | EXTRA_KEYS, frame
    for key, value in frame.items():
        assert value is None or type(value) in (int, str), (key, value)
        if isinstance(value, str):
            assert CODE.fullmatch(value), (key, value)


@run_async
async def test_live_catch_up_and_count_frames_match_the_schema(make_user, token_headers):
    user = await db(make_user)()
    socket, hello, unread = await open_inbox(await db(token_headers)(user))
    frames = [hello, unread]

    await db(publish)(
        [user.pk],
        "sheet.received",
        sheet_id=1,
        status="sent",
        extra={"owner_desk": "jiritsu", "urgency": "urgent"},
    )
    await db(publish)(
        [user.pk],
        "sheet.updated",
        sheet_id=1,
        status="redirected",
        extra={"owner_desk": "seikatsu_hogo", "alert": "runaround", "redirects": 2},
    )
    await db(publish)([user.pk], "sheet.overdue", box="overdue", sheet_id=1, status="sent")
    await db(publish)(
        [user.pk], "consent.withdrawn", sheet_id=1, status="sent", extra={"consent": 4}
    )
    await db(mark_sheet_read)(user.pk, 1)
    for _ in range(4 * 2 + 1):  # four events with their counts, then the counts after reading
        frames.append(await socket.receive_json_from(timeout=3))

    # Catch-up frames on a second socket (a reconnect): the first one already sent these
    # events, and a socket never sends an event twice.
    again, _, _ = await open_inbox(await db(token_headers)(user))
    await again.send_json_to({"type": "catch_up", "since": 0})
    for _ in range(4 + 1):
        frames.append(await again.receive_json_from(timeout=3))
    await again.disconnect()
    await socket.send_json_to({"type": "nonsense"})
    frames.append(await socket.receive_json_from(timeout=3))

    for frame in frames:
        assert_frame_is_safe(frame)
    assert {frame["type"] for frame in frames} == {
        "hello",
        "unread",
        "sheet.received",
        "sheet.updated",
        "sheet.overdue",
        "consent.withdrawn",
        "caught_up",
        "error",
    }
    await socket.disconnect()


@run_async
async def test_event_frame_is_the_design_shape(make_user, token_headers):
    user = await db(make_user)()
    socket, _, _ = await open_inbox(await db(token_headers)(user))
    await db(publish)(
        [user.pk], "sheet.received", sheet_id=42, status="sent", extra={"owner_desk": "jiritsu"}
    )

    event = await socket.receive_json_from(timeout=3)
    at = event.pop("at")
    assert event == {
        "type": "sheet.received",
        "seq": 1,
        "sheet": 42,
        "status": "sent",
        "box": "inbox",
        "owner_desk": "jiritsu",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", at)
    await socket.disconnect()
