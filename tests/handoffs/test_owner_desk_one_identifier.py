"""``owner_desk`` is the desk code everywhere: in API responses and in inbox events (the frames
a socket receives and the HTTP catch-up), so a client compares them without a lookup
(issue 16, input 6)."""

from __future__ import annotations

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.payloads import event_payload
from tests.fixtures_sheets import send_ok


def frames_for(sheet_id: int) -> list[dict]:
    return [event_payload(e) for e in InboxEvent.objects.filter(sheet_id=sheet_id).order_by("pk")]


def test_sent_sheet_frames_name_the_owner_desk_by_the_code_the_api_returns(
    demo, api, resident, full_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    response_desk = api("consult1").get(f"/sheets/{sheet_id}/").body["owner_desk"]

    frames = frames_for(sheet_id)

    assert response_desk == "jiritsu"
    assert {(f["type"], f["box"], f["owner_desk"]) for f in frames} == {
        ("sheet.received", "inbox", "jiritsu"),
        ("sheet.updated", "sent", "jiritsu"),
    }


def test_redirected_sheet_frames_name_the_new_desk_by_its_code(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    before = len(frames_for(sheet_id))
    reply = api("consult_lead").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "生活保護の相談が必要"}
    )
    assert (reply.status, reply.body["owner_desk"]) == (200, "seikatsu_hogo")

    later = frames_for(sheet_id)[before:]

    assert later, "the redirect published no events"
    assert {f["owner_desk"] for f in later} == {"seikatsu_hogo"}
    assert all(isinstance(f["owner_desk"], str) for f in frames_for(sheet_id))
