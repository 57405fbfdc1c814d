"""Feedback to the referrer is minimal unless chosen (issue 13, inputs 8, 9 and 10; DOMAIN.md).

The sending side hears the fact of involvement, the status and the outcome. A desk note reaches
it only when the consent covers ``feedback`` *and* the desk marked the note
「送った職員に伝える」; a desk message only with consent to feedback (else refused before it is
sent, and nobody is told of it); after a withdrawal nobody posts. The sending side can always
re-read the story it sent, through the gate (``sheet.sent_read``, audited).
"""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.services import withdraw_consent
from referral_hub.handoffs.models import SheetEvent, SheetMessage
from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.read_state import mark_sheet_read, unread_counts
from tests.fixtures_sheets import make_consent, send_ok

# The note of issue 13, input 9: health and household content the consent did not cover.
PRIVATE_NOTE = "夫からの暴力があり別居中。精神科通院中。"
FEEDBACK = ["identity", "concern", "feedback"]


def _to_accepted(api, sheet_id: int) -> None:
    desk = api("consult1")
    assert desk.act(sheet_id, "acknowledge").status == 200
    assert desk.act(sheet_id, "accept", {}).status == 200


# --- input 8: the desk's message to a sender without consent to feedback -----------------------


def test_desk_message_without_feedback_consent_is_refused_and_the_sender_hears_nothing(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    sender = demo.user("tax_clerk")
    mark_sheet_read(sender.pk, sheet_id)
    before = InboxEvent.objects.filter(user=sender).count()

    reply = api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "面談日が決まりました"})

    assert (reply.status, reply.code) == (403, "feedback_not_consented")
    assert "つないだ職員への経過報告" in reply.body["detail"]
    assert "category:feedback" in reply.body["detail"]
    assert SheetMessage.objects.filter(sheet_id=sheet_id).count() == 0
    assert InboxEvent.objects.filter(user=sender).count() == before
    assert not InboxEvent.objects.filter(type="sheet.message", sheet_id=sheet_id).exists()
    assert unread_counts(sender.pk)["sent"] == 0
    refusal = AuditEvent.objects.get(action="sheet.desk_message", allowed=False)
    assert (refusal.refusal_code, refusal.actor_username) == ("feedback_not_consented", "consult1")


def test_sender_may_still_write_to_the_desk_without_feedback_consent(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    reply = api("tax_clerk").post(f"/sheets/{sheet_id}/messages/", {"body": "本日来庁されました"})

    assert (reply.status, reply.body["side"]) == (201, "sender")
    thread = api("consult1").get(f"/sheets/{sheet_id}/messages/").body
    assert [m["body"] for m in thread] == ["本日来庁されました"]


@pytest.mark.parametrize("username", ["consult1", "tax_clerk"])
def test_after_the_consent_is_withdrawn_neither_side_may_post(
    demo, api, resident, full_consent, username
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    withdraw_consent(demo.user("tax_clerk"), full_consent, "本人の申し出")

    reply = api(username).post(f"/sheets/{sheet_id}/messages/", {"body": "その後いかがですか"})

    assert (reply.status, reply.code) == (403, "consent_withdrawn")
    assert "撤回" in reply.body["detail"]
    assert SheetMessage.objects.filter(sheet_id=sheet_id).count() == 0
    assert not InboxEvent.objects.filter(type="sheet.message", sheet_id=sheet_id).exists()


def test_desk_message_with_feedback_consent_reaches_and_notifies_the_sender(
    demo, api, resident, full_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)

    reply = api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "面談日が決まりました"})

    assert reply.status == 201
    thread = api("tax_clerk").get(f"/sheets/{sheet_id}/messages/").body
    assert [(m["side"], m["body"]) for m in thread] == [("desk", "面談日が決まりました")]
    told = InboxEvent.objects.filter(type="sheet.message", sheet_id=sheet_id, box="sent")
    assert list(told.values_list("user__username", flat=True)) == ["tax_clerk"]


# --- input 9: desk notes stay with the desk unless shared --------------------------------------


def test_unshared_notes_never_reach_the_sender_even_with_feedback_consent(
    demo, api, resident, full_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    _to_accepted(api, sheet_id)
    desk = api("consult1")
    assert desk.act(sheet_id, "contacted", {"note": PRIVATE_NOTE}).status == 200
    assert desk.act(sheet_id, "connected", {"note": "家計相談を開始"}).status == 200
    closing = {"outcome": "connected_to_support", "note": "支援中"}
    assert desk.act(sheet_id, "close", closing).status == 200

    sender = api("tax_clerk")
    events = sender.get(f"/sheets/{sheet_id}/events/").body
    assert [(e["kind"], e["note"]) for e in events] == [
        ("sent", None),
        ("acknowledged", None),
        ("accepted", None),
        ("contacted", None),
        ("connected", None),
        ("closed", None),
    ]
    view = sender.get(f"/sheets/{sheet_id}/").body
    assert (view["feedback"], view["status"], view["outcome"]) == (
        True,
        "closed",
        "connected_to_support",
    )
    assert PRIVATE_NOTE not in str(view)
    # The desk keeps its notes.
    desk_notes = {e["kind"]: e["note"] for e in desk.get(f"/sheets/{sheet_id}/events/").body}
    assert desk_notes["contacted"] == PRIVATE_NOTE
    # No live event carries a note.
    for event in InboxEvent.objects.filter(sheet_id=sheet_id):
        assert PRIVATE_NOTE not in str(event.extra)


def test_a_note_the_desk_shares_reaches_the_sender_with_feedback_consent(
    demo, api, resident, full_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    _to_accepted(api, sheet_id)
    shared = {"note": "本人と連絡がとれ、来週面談します", "share_with_sender": True}
    assert api("consult1").act(sheet_id, "contacted", shared).status == 200

    events = api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body

    assert (events[-1]["kind"], events[-1]["note"], events[-1]["shared_with_sender"]) == (
        "contacted",
        "本人と連絡がとれ、来週面談します",
        True,
    )
    assert SheetEvent.objects.get(sheet_id=sheet_id, kind="contacted").shared_with_sender


@pytest.mark.parametrize(
    "action,body",
    [
        ("contacted", {"note": PRIVATE_NOTE, "share_with_sender": True}),
        (
            "close",
            {"outcome": "declined", "note": PRIVATE_NOTE, "share_with_sender": True},
        ),
    ],
)
def test_a_shared_note_without_feedback_consent_is_refused_and_nothing_changes(
    demo, api, resident, jiritsu_consent, action, body
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    _to_accepted(api, sheet_id)

    reply = api("consult1").act(sheet_id, action, body)

    assert (reply.status, reply.code) == (403, "feedback_not_consented")
    assert "送った職員" in reply.body["detail"]
    assert api("consult1").get(f"/sheets/{sheet_id}/").body["status"] == "accepted"
    assert not SheetEvent.objects.filter(sheet_id=sheet_id, kind__in=["contacted", "closed"])
    assert AuditEvent.objects.filter(
        action=f"sheet.{action}", allowed=False, refusal_code="feedback_not_consented"
    ).exists()


def test_shared_notes_stop_reaching_the_sender_once_the_consent_is_withdrawn(
    demo, api, resident, full_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    _to_accepted(api, sheet_id)
    api("consult1").act(sheet_id, "contacted", {"note": "来週面談", "share_with_sender": True})

    withdraw_consent(demo.user("tax_clerk"), full_consent, "本人の申し出")

    notes = [e["note"] for e in api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body]
    assert "来週面談" not in notes


# --- input 10: the sending side re-reads what it sent ------------------------------------------


def test_the_sender_rereads_the_story_it_sent_and_the_read_is_audited(
    demo, api, resident, jiritsu_consent
):
    tax = make_consent(
        demo.user("tax_clerk"), resident, ["jiritsu"], ["identity", "concern", "tax"]
    )
    sheet_id = send_ok(api("tax_clerk"), resident, tax, details={"tax": "市県民税 40万円滞納"})

    view = api("tax_clerk").get(f"/sheets/{sheet_id}/").body

    assert view["view"] == "sender"
    content = {**view["sent_content"], "concerns": sorted(view["sent_content"]["concerns"])}
    assert content == {
        "summary": "市税の滞納で差押えを受け、家賃も払えなくなっている。",
        "resident_words": "もうどうしたらいいかわからない",
        "concerns": ["economic_hardship", "tax_arrears"],
        "urgency": "normal",
        "handoff_method": "phoned",
        "details": {"tax": "市県民税 40万円滞納"},
        "contact_preference": "平日の午前中に携帯へ",
    }
    assert "resident" not in view  # the story, not the identity (no feedback consent)
    read = AuditEvent.objects.get(action="sheet.sent_read", target_id=str(sheet_id))
    assert (read.allowed, read.actor_username, read.resident_id) == (True, "tax_clerk", resident.pk)
    assert read.details["categories"] == ["concern", "tax"]


def test_a_colleague_of_the_sending_department_rereads_it_too_and_the_desk_view_is_unchanged(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    demo.add_staff("tax_clerk2", "clerk", department="shuno")

    colleague = api("tax_clerk2").get(f"/sheets/{sheet_id}/").body
    desk = api("consult1").get(f"/sheets/{sheet_id}/").body

    assert colleague["sent_content"]["resident_words"] == "もうどうしたらいいかわからない"
    assert "sent_content" not in desk
    assert api("nhi_clerk").get(f"/sheets/{sheet_id}/").status == 403
    assert not AuditEvent.objects.filter(
        action="sheet.sent_read", actor_username="nhi_clerk", allowed=True
    ).exists()


def test_the_sender_rereads_the_story_even_after_the_consent_is_withdrawn(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    withdraw_consent(demo.user("tax_clerk"), jiritsu_consent, "本人の申し出")

    view = api("tax_clerk").get(f"/sheets/{sheet_id}/").body

    assert view["sent_content"]["summary"].startswith("市税の滞納")
