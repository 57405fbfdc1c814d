"""来所 (issue 19): the owner desk records the resident's arrival with the handout's code; the
milestone is recorded once, and the sending side hears of it (ids only)."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import drive_to, send_ok, sheet_body


def _code(sheet_id: int) -> str:
    return ConnectSheet.objects.get(pk=sheet_id).arrival_code


def test_arrival_records_the_milestone_once_and_the_sender_hears_of_it(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    sender = demo.user("tax_clerk")
    before = InboxEvent.objects.filter(user=sender, sheet_id=sheet_id).count()

    first = api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})
    second = api("consult1").post(
        f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id).replace("-", "")}
    )

    assert first.status == 200, first.body
    assert first.body["recorded"] is True and first.body["arrived_at"]
    assert first.body["status"] == "sent"  # a milestone, not a state change
    assert (second.status, second.body["recorded"]) == (200, False)
    assert second.body["arrived_at"] == first.body["arrived_at"]
    assert SheetEvent.objects.filter(sheet_id=sheet_id, kind="arrived").count() == 1
    assert AuditEvent.objects.filter(action="sheet.arrived", target_id=str(sheet_id)).count() == 1
    events = InboxEvent.objects.filter(user=sender, sheet_id=sheet_id).order_by("pk")
    assert events.count() == before + 1
    event = events.last()
    assert (event.type, event.box) == ("sheet.updated", "sent")
    assert event.extra["milestone"] == "arrived"
    assert set(event.extra) == {"owner_desk", "urgency", "milestone"}


def test_wrong_code_is_refused_and_records_nothing(api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    code = _code(sheet_id)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)

    reply = api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": wrong})

    assert (reply.status, reply.code) == (400, "arrival_code_mismatch")
    assert ConnectSheet.objects.get(pk=sheet_id).arrived_at is None
    assert not SheetEvent.objects.filter(sheet_id=sheet_id, kind="arrived").exists()


def test_only_the_owner_desk_records_an_arrival(api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    for user in ("tax_clerk", "nhi_clerk"):
        reply = api(user).post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})
        assert (reply.status, reply.code) == (403, "not_owner_desk")
    refusal = AuditEvent.objects.filter(action="sheet.arrival", allowed=False)
    assert refusal.count() == 2
    assert ConnectSheet.objects.get(pk=sheet_id).arrived_at is None


def test_a_closed_sheet_takes_no_arrival(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "closed")
    reply = api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})
    assert (reply.status, reply.code) == (409, "invalid_transition")


def test_arrival_is_on_the_timeline_the_sender_reads(api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})
    timeline = api("tax_clerk").get(f"/sheets/{sheet_id}/events/")
    assert timeline.status == 200
    assert [e["kind"] for e in timeline.body][-1] == "arrived"


def test_a_suspended_resident_s_arrival_gives_no_summary_and_tells_no_one(
    demo, api, resident, jiritsu_consent
):
    """利用停止 (第98条): the arrival's answer would show the sheet's concern codes and tell the
    sender the resident came; both are uses of the resident's data, refused ``use_suspended``."""
    from referral_hub.rights import services as rights_services
    from tests.rights.conftest import register

    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk, kind="suspension")
    rights_services.decide_request(officer, request.pk, "suspended", "本人の請求どおり")
    sender = demo.user("tax_clerk")
    before = InboxEvent.objects.filter(user=sender, sheet_id=sheet_id).count()

    reply = api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})

    assert (reply.status, reply.code) == (403, "use_suspended"), reply.body
    assert "concerns" not in reply.body
    assert ConnectSheet.objects.get(pk=sheet_id).arrived_at is None
    assert InboxEvent.objects.filter(user=sender, sheet_id=sheet_id).count() == before
    assert not AuditEvent.objects.filter(action="sheet.arrived").exists()


def test_arrival_on_a_closed_meeting_s_sheet_follows_what_the_desk_may_read(demo, api, resident):
    from tests.meetings.helpers import end_access, meeting_ready

    meeting = meeting_ready(demo, resident)
    sent = api("tax_clerk").post(
        "/sheets/",
        {
            **sheet_body(resident, None),
            "legal_basis": "support_meeting",
            "justification": "支援会議で検討した世帯",
            "support_meeting": meeting.pk,
        },
    )
    assert sent.status == 201, sent.body
    sheet_id = sent.body["id"]
    end_access(meeting)

    reply = api("consult1").post(f"/sheets/{sheet_id}/arrived/", {"code": _code(sheet_id)})

    assert (reply.status, reply.code) == (403, "support_meeting_closed"), reply.body
    assert "concerns" not in reply.body
