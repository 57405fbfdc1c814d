"""Every legal transition of the sheet lifecycle (DESIGN.md) works through the API, moves the
sheet to the right status and leaves its timeline event."""

from __future__ import annotations

import pytest

from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from tests.fixtures_sheets import drive_to, make_consent, make_resident, send_ok


def timeline(sheet_id: int) -> list[tuple[str, str, str]]:
    return list(
        SheetEvent.objects.filter(sheet_id=sheet_id).values_list("kind", "from_status", "to_status")
    )


def test_desk_walks_a_sheet_from_sent_to_closed_with_one_event_per_step(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    consult1 = api("consult1")

    steps = [
        ("acknowledge", None, "acknowledged"),
        ("accept", {}, "accepted"),
        ("contacted", {"note": "電話で本人と話した"}, "contacted"),
        ("connected", {"note": "家計相談を開始"}, "connected"),
        ("close", {"outcome": "connected_to_support", "note": "支援開始"}, "closed"),
    ]
    for action, body, status in steps:
        reply = consult1.act(sheet_id, action, body)
        assert reply.status == 200, reply.body
        assert reply.body["status"] == status

    assert timeline(sheet_id) == [
        ("sent", "", "sent"),
        ("acknowledged", "sent", "acknowledged"),
        ("accepted", "acknowledged", "accepted"),
        ("contacted", "accepted", "contacted"),
        ("connected", "contacted", "connected"),
        ("closed", "connected", "closed"),
    ]
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.outcome == "connected_to_support"
    assert sheet.handler == demo.user("consult1")
    assert all(
        [
            sheet.acknowledged_at,
            sheet.accepted_at,
            sheet.contacted_at,
            sheet.connected_at,
            sheet.closed_at,
        ]
    )


def test_closed_sheet_leaves_the_desk_inbox_and_stays_in_the_senders_box(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    assert [s["id"] for s in api("consult2").get("/sheets/", box="inbox").body["results"]] == [
        sheet_id
    ]
    drive_to(demo, sheet_id, "closed")

    assert api("consult2").get("/sheets/", box="inbox").body["count"] == 0
    sent = api("tax_clerk").get("/sheets/", box="sent").body["results"]
    assert [(s["id"], s["status"], s["outcome"]) for s in sent] == [
        (sheet_id, "closed", "resolved_by_information")
    ]


def test_accept_without_handler_makes_the_actor_the_handler(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")

    reply = api("consult2").act(sheet_id, "accept", {})

    assert reply.status == 200
    assert reply.body["handler"] == demo.user("consult2").pk


def test_lead_assigns_a_handler_from_the_desk(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")

    reply = api("consult_lead").act(sheet_id, "accept", {"handler": demo.user("consult2").pk})

    assert reply.status == 200
    assert reply.body["handler"] == demo.user("consult2").pk


def test_consultant_cannot_assign_a_colleague(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")

    reply = api("consult1").act(sheet_id, "accept", {"handler": demo.user("consult2").pk})

    assert (reply.status, reply.code) == (403, "lead_required")
    assert ConnectSheet.objects.get(pk=sheet_id).status == "acknowledged"


def test_lead_cannot_assign_someone_outside_the_desk(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")

    reply = api("consult_lead").act(sheet_id, "accept", {"handler": demo.user("hogo_staff").pk})

    assert (reply.status, reply.code) == (403, "handler_not_member")
    assert ConnectSheet.objects.get(pk=sheet_id).handler is None


@pytest.mark.parametrize("from_status", ["sent", "acknowledged"])
def test_desk_returns_to_sender_with_reason_and_sender_resends(
    demo, api, resident, jiritsu_consent, from_status
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, from_status)

    returned = api("consult1").act(sheet_id, "return", {"reason": "電話番号を確認してください"})
    assert returned.status == 200
    assert returned.body["status"] == "returned"
    # The desk keeps the sheet while the question is open: nobody can drop it.
    assert returned.body["owner_desk"] == "jiritsu"

    resent = api("tax_clerk").act(sheet_id, "resend", {"note": "電話番号を追記しました"})
    assert resent.status == 200
    assert (resent.body["status"], resent.body["owner_desk"]) == ("sent", "jiritsu")
    assert timeline(sheet_id)[-2:] == [
        ("returned", from_status, "returned"),
        ("resent", "returned", "sent"),
    ]


def test_return_needs_a_reason(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    reply = api("consult1").act(sheet_id, "return", {"reason": "  "})

    assert reply.status == 400
    assert ConnectSheet.objects.get(pk=sheet_id).status == "sent"


@pytest.mark.parametrize("from_status", ["sent", "acknowledged", "returned"])
def test_sender_withdraws_before_the_desk_accepts(
    demo, api, resident, jiritsu_consent, from_status
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, from_status)

    reply = api("tax_clerk").act(sheet_id, "withdraw", {"reason": "本人が辞退した"})

    assert reply.status == 200
    assert reply.body["status"] == "withdrawn"
    assert timeline(sheet_id)[-1] == ("withdrawn", from_status, "withdrawn")
    assert api("consult1").get("/sheets/", box="inbox").body["count"] == 0


def test_a_colleague_in_the_senders_department_may_withdraw(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    demo.add_staff("tax_clerk2", "clerk", department="shuno")

    reply = api("tax_clerk2").act(sheet_id, "withdraw", {"reason": "担当替え"})

    assert reply.status == 200


@pytest.mark.parametrize(
    "from_status", ["sent", "acknowledged", "accepted", "contacted", "connected"]
)
def test_redirect_moves_the_sheet_to_the_new_desk_as_sent(
    demo, api, resident, full_consent, from_status
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, from_status)

    reply = api("consult_lead").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "生活保護の相談が必要"}
    )

    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["owner_desk"]) == ("sent", "seikatsu_hogo")
    assert reply.body["redirect_count"] == 1
    assert reply.body["handler"] is None
    event = SheetEvent.objects.filter(sheet_id=sheet_id).last()
    assert (event.kind, event.from_status, event.to_status) == ("redirected", from_status, "sent")
    assert (event.from_desk.code, event.to_desk.code) == ("jiritsu", "seikatsu_hogo")
    assert api("consult1").get("/sheets/", box="inbox").body["count"] == 0
    assert [s["id"] for s in api("hogo_staff").get("/sheets/", box="inbox").body["results"]] == [
        sheet_id
    ]


# declined and unreachable need the evidence of contact attempts or a lead's approval (issue 20):
# tests/handoffs/test_close_needs_evidence.py.
@pytest.mark.parametrize("outcome", ["referred_elsewhere", "resolved_by_information", "duplicate"])
@pytest.mark.parametrize("from_status", ["acknowledged", "accepted", "contacted", "connected"])
def test_desk_closes_with_any_outcome_once_it_has_acknowledged(
    demo, api, resident, jiritsu_consent, outcome, from_status
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, from_status)

    reply = api("consult1").act(sheet_id, "close", {"outcome": outcome, "note": "終結"})

    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["outcome"]) == ("closed", outcome)
    event = SheetEvent.objects.filter(sheet_id=sheet_id).last()
    assert (event.kind, event.outcome) == ("closed", outcome)


def test_each_sheet_gets_the_next_number_of_the_year(demo, api, jiritsu_consent, resident):
    first = api("tax_clerk").get("/sheets/", box="sent")
    assert first.body["count"] == 0
    ids = [send_ok(api("tax_clerk"), resident, jiritsu_consent) for _ in range(3)]

    numbers = [ConnectSheet.objects.get(pk=i).number for i in ids]

    year, first_serial = numbers[0].split("-")
    assert len(year) == 4 and len(first_serial) == 6
    assert [int(n.split("-")[1]) for n in numbers] == [
        int(first_serial),
        int(first_serial) + 1,
        int(first_serial) + 2,
    ]


def test_a_consultation_desk_can_send_a_sheet_to_another_desk(demo, api):
    resident = make_resident(demo.user("consult1"))
    consent = make_consent(demo.user("consult1"), resident, ["kakei"])

    sheet_id = send_ok(api("consult1"), resident, consent, to_desk="kakei")

    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert (sheet.from_desk.code, sheet.from_department, sheet.owner_desk.code) == (
        "jiritsu",
        None,
        "kakei",
    )
