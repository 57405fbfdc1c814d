"""Closures that need evidence (issue 20): ``unreachable`` after 3 attempts on 2 days spanning
14 days, ``declined`` after a refused attempt, or at once with a lead's approval."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from tests.fixtures_sheets import Api, drive_to, send_ok
from tests.handoffs.nodrop_helpers import attempt


def _accepted(demo, api, resident, consent) -> int:
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    drive_to(demo, sheet_id, "accepted")
    return sheet_id


def test_unreachable_refused_after_two_attempts_allowed_after_third_fourteen_days_later(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2026, 12, 1, 9, 0)  # Tuesday
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    desk = api("consult1")
    assert attempt(desk, sheet_id).status == 201
    clock.set(2026, 12, 1, 15, 0)
    assert attempt(desk, sheet_id, channel="visit").status == 201

    refused = desk.act(sheet_id, "close", {"outcome": "unreachable"})
    assert (refused.status, refused.code) == (409, "attempts_required")
    assert refused.body["missing"] == {"attempts": 1, "days": 1, "span_days": 14}
    assert "あと1回" in refused.body["detail"] and "主任相談支援員の承認" in refused.body["detail"]

    clock.set(2026, 12, 14, 10, 0)  # 13 days after the first: span still short by one day
    desk = Api(demo.user("consult1"))  # a token issued on the frozen clock's day
    assert attempt(desk, sheet_id, channel="letter").status == 201
    short = desk.act(sheet_id, "close", {"outcome": "unreachable"})
    assert short.status == 409 and short.body["missing"] == {
        "attempts": 0,
        "days": 0,
        "span_days": 1,
    }

    clock.set(2026, 12, 15, 10, 0)  # 14 days after the first attempt
    desk = Api(demo.user("consult1"))
    assert attempt(desk, sheet_id).status == 201
    closed = desk.act(sheet_id, "close", {"outcome": "unreachable"})
    assert closed.status == 200, closed.body
    assert closed.body["outcome"] == "unreachable"


def test_three_attempts_fourteen_days_apart_suffice(demo, api, resident, jiritsu_consent, clock):
    clock.set(2026, 12, 1, 9, 0)
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    desk = api("consult1")
    assert attempt(desk, sheet_id).status == 201
    assert attempt(desk, sheet_id, channel="visit").status == 201
    clock.set(2026, 12, 15, 9, 0)
    desk = Api(demo.user("consult1"))
    assert attempt(desk, sheet_id).status == 201
    assert desk.act(sheet_id, "close", {"outcome": "unreachable"}).status == 200


def test_lead_approval_closes_unreachable_at_once(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    body = {"outcome": "unreachable", "lead_approval": {"reason": "転居先不明と送付元から連絡"}}
    not_lead = api("consult1").act(sheet_id, "close", body)
    assert (not_lead.status, not_lead.code) == (403, "lead_required")
    assert ConnectSheet.objects.get(pk=sheet_id).status == "accepted"
    closed = api("consult_lead").act(sheet_id, "close", body)
    assert closed.status == 200 and closed.body["outcome"] == "unreachable"
    approval = SheetEvent.objects.get(sheet_id=sheet_id, kind="close_approved")
    assert approval.note == "転居先不明と送付元から連絡"
    assert AuditEvent.objects.filter(
        action="sheet.close_approved_by_lead", target_id=str(sheet_id)
    ).exists()
    # The lead's reason stays with the desk.
    sender_kinds = [e["kind"] for e in api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body]
    assert "close_approved" not in sender_kinds and "closed" in sender_kinds


def test_declined_needs_a_refused_attempt_or_a_lead(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    desk = api("consult1")
    refused = desk.act(sheet_id, "close", {"outcome": "declined"})
    assert (refused.status, refused.code) == (409, "attempts_required")
    assert refused.body["missing"] == {"refused": 1}
    attempt(desk, sheet_id, "no_answer")
    assert desk.act(sheet_id, "close", {"outcome": "declined"}).status == 409
    attempt(desk, sheet_id, "refused")
    assert desk.act(sheet_id, "close", {"outcome": "declined"}).status == 200


def test_declined_with_lead_approval(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    closed = api("consult_lead").act(
        sheet_id, "close", {"outcome": "declined", "lead_approval": {"reason": "本人が窓口で辞退"}}
    )
    assert closed.status == 200


def test_other_outcomes_need_no_attempts(demo, api, resident, jiritsu_consent):
    sheet_id = _accepted(demo, api, resident, jiritsu_consent)
    assert api("consult1").act(sheet_id, "close", {"outcome": "duplicate"}).status == 200
