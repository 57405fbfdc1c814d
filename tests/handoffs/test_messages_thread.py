"""The thread between the sending side and the owner desk (``/sheets/{id}/messages/``): only
the two sides may write, each side's message reaches the other, and nobody else reads it."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import SheetMessage
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import send_ok


def test_sender_and_desk_talk_and_each_side_is_notified(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)

    asked = api("tax_clerk").post(f"/sheets/{sheet_id}/messages/", {"body": "本日14時に同行します"})
    answered = api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "お待ちしています"})

    assert (asked.status, asked.body["side"], asked.body["desk"]) == (201, "sender", None)
    assert (answered.status, answered.body["side"], answered.body["desk"]) == (
        201,
        "desk",
        "jiritsu",
    )
    thread = api("consult2").get(f"/sheets/{sheet_id}/messages/").body
    assert [(m["side"], m["body"]) for m in thread] == [
        ("sender", "本日14時に同行します"),
        ("desk", "お待ちしています"),
    ]
    to_desk = InboxEvent.objects.filter(type="sheet.message", sheet_id=sheet_id, box="inbox")
    to_sender = InboxEvent.objects.filter(type="sheet.message", sheet_id=sheet_id, box="sent")
    assert {"consult1", "consult2", "consult_lead"} <= set(
        to_desk.values_list("user__username", flat=True)
    )
    assert set(to_sender.values_list("user__username", flat=True)) == {"tax_clerk"}
    # Nobody is notified of their own message: one event each, for the other side's message.
    for username in ("consult1", "tax_clerk"):
        mine = InboxEvent.objects.filter(
            type="sheet.message", sheet_id=sheet_id, user=demo.user(username)
        )
        assert mine.count() == 1, username
    assert AuditEvent.objects.filter(action="sheet.message_posted").count() == 2


@pytest.mark.parametrize("username", ["hogo_staff", "nhi_clerk", "privacy_officer"])
def test_outsiders_can_neither_write_nor_read_the_thread(
    demo, api, resident, full_consent, username
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    api("tax_clerk").post(f"/sheets/{sheet_id}/messages/", {"body": "よろしくお願いします"})

    wrote = api(username).post(f"/sheets/{sheet_id}/messages/", {"body": "見せてください"})
    read = api(username).get(f"/sheets/{sheet_id}/messages/")

    assert (wrote.status, read.status) == (403, 403)
    assert SheetMessage.objects.count() == 1
    assert "よろしく" not in str(read.body)


def test_the_thread_follows_the_sheet_to_the_new_desk(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "保護の相談が必要そうです"})
    api("consult1").act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護"})

    thread = api("hogo_staff").get(f"/sheets/{sheet_id}/messages/").body
    assert [m["body"] for m in thread] == ["保護の相談が必要そうです"]
    # The previous desk is out of the conversation.
    reply = api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "追伸"})
    assert reply.status == 403
