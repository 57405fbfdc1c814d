"""The runaround guard (DESIGN.md invariants 2 and 3): a redirect goes only to a desk the
consent covers; the second redirect alerts the leads; a third, or a redirect back to a desk
the sheet already left, needs a lead; the whole content and timeline follow the sheet."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.services import withdraw_consent
from referral_hub.directory.models import Desk
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import ALL_CATEGORIES, drive_to, make_consent, send_ok

CHAIN = ["jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "kodomo"]


@pytest.fixture
def staff(demo):
    """A consultant and a lead on every desk of the chain (seeded by the demo: issue 20)."""
    return {
        "jiritsu": ("consult1", "consult_lead"),
        "seikatsu_hogo": ("hogo_staff", "hogo_lead"),
        "kakei": ("kakei_staff", "kakei_lead"),
        "houkatsu": ("houkatsu_staff", "houkatsu_lead"),
        "kodomo": ("kodomo_staff", "kodomo_lead"),
    }


@pytest.fixture
def wide_consent(demo, resident):
    return make_consent(demo.user("tax_clerk"), resident, CHAIN, list(ALL_CATEGORIES))


def redirect(api, username: str, sheet_id: int, to_desk: str, reason: str = "こちらの窓口が適切"):
    return api(username).act(sheet_id, "redirect", {"to_desk": to_desk, "reason": reason})


def state(sheet_id: int) -> tuple:
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    return (
        sheet.status,
        sheet.owner_desk.code,
        sheet.redirect_count,
        sheet.version,
        SheetEvent.objects.filter(sheet=sheet).count(),
    )


def test_redirect_outside_the_consent_is_refused_consent_scope(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    before = state(sheet_id)

    reply = redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    assert (reply.status, reply.code) == (403, "consent_scope")
    assert state(sheet_id) == before
    refusal = AuditEvent.objects.filter(action="sheet.redirect").last()
    assert (refusal.allowed, refusal.refusal_code) == (False, "consent_scope")
    assert refusal.details["recipient_desk"] == "seikatsu_hogo"


def test_refused_redirect_tells_the_desk_to_return_the_sheet_or_ask_the_resident(
    demo, api, resident, jiritsu_consent
):
    # Issue 3: "refused with consent_scope and a message telling the desk to return it to the
    # sender or ask the resident".
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    reply = redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    assert reply.code == "consent_scope"
    assert "差戻" in reply.body["detail"] or "差し戻" in reply.body["detail"]
    assert "本人に" in reply.body["detail"]


def test_redirect_under_a_withdrawn_consent_is_refused(demo, api, resident, wide_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    withdraw_consent(demo.user("tax_clerk"), wide_consent, "本人の申し出")

    reply = redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    assert (reply.status, reply.code) == (403, "consent_withdrawn")
    assert state(sheet_id)[1] == "jiritsu"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"to_desk": "seikatsu_hogo", "reason": "   "}, {"invalid", "reason_required"}),
        ({"to_desk": "jiritsu", "reason": "同じ窓口"}, {"same_desk"}),
        ({"to_desk": "nowhere", "reason": "存在しない窓口"}, {"unknown_desk"}),
    ],
)
def test_redirect_needs_a_reason_and_another_real_desk(
    demo, api, resident, wide_consent, body, code
):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    before = state(sheet_id)

    reply = api("consult1").act(sheet_id, "redirect", body)

    assert reply.status == 400
    assert reply.code in code
    assert state(sheet_id) == before


def test_redirect_to_an_inactive_desk_is_refused(demo, api, resident, wide_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    Desk.objects.filter(code="kakei").update(is_active=False)

    reply = redirect(api, "consult1", sheet_id, "kakei")

    assert (reply.status, reply.code) == (400, "desk_inactive")
    assert state(sheet_id)[1] == "jiritsu"


def test_second_redirect_alerts_the_leads_of_every_desk_the_sheet_passed(
    demo, api, resident, wide_consent, staff
):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    assert redirect(api, "consult1", sheet_id, "seikatsu_hogo").status == 200
    assert not SheetEvent.objects.filter(sheet_id=sheet_id, kind="runaround_alert").exists()

    assert redirect(api, "hogo_staff", sheet_id, "kakei").status == 200

    assert SheetEvent.objects.filter(sheet_id=sheet_id, kind="runaround_alert").count() == 1
    alerted = set(
        InboxEvent.objects.filter(sheet_id=sheet_id, extra__alert="runaround").values_list(
            "user__username", flat=True
        )
    )
    assert alerted == {"consult_lead", "hogo_lead", "kakei_lead"}
    alert_audit = AuditEvent.objects.filter(action="sheet.runaround_alert").last()
    assert alert_audit.details["redirects"] == 2


def test_third_redirect_needs_a_lead(demo, api, resident, wide_consent, staff):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    redirect(api, "consult1", sheet_id, "seikatsu_hogo")
    redirect(api, "hogo_staff", sheet_id, "kakei")
    before = state(sheet_id)

    refused = redirect(api, "kakei_staff", sheet_id, "houkatsu")

    assert (refused.status, refused.code) == (403, "lead_required")
    assert state(sheet_id) == before
    allowed = redirect(api, "kakei_lead", sheet_id, "houkatsu", "主任判断で包括へ")
    assert allowed.status == 200
    assert (allowed.body["owner_desk"], allowed.body["redirect_count"]) == ("houkatsu", 3)


def test_redirect_back_to_a_desk_the_sheet_left_needs_a_lead(
    demo, api, resident, wide_consent, staff
):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    redirect(api, "consult1", sheet_id, "seikatsu_hogo")
    before = state(sheet_id)

    refused = redirect(api, "hogo_staff", sheet_id, "jiritsu", "やはり自立相談で")

    assert (refused.status, refused.code) == (403, "lead_required")
    assert state(sheet_id) == before
    allowed = redirect(api, "hogo_lead", sheet_id, "jiritsu", "主任判断で戻す")
    assert allowed.status == 200
    assert allowed.body["owner_desk"] == "jiritsu"


def test_redirect_to_a_new_desk_does_not_need_a_lead(demo, api, resident, wide_consent, staff):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    reply = redirect(api, "hogo_staff", sheet_id, "kakei")

    assert reply.status == 200


def test_the_whole_story_follows_the_sheet_to_the_new_desk(demo, api, resident, wide_consent):
    # Invariant 3: the story is told once.
    sheet_id = send_ok(
        api("tax_clerk"),
        resident,
        wide_consent,
        details={"tax": "市県民税 滞納 約40万円", "household": "単身"},
    )
    drive_to(demo, sheet_id, "contacted")
    api("consult1").post(f"/sheets/{sheet_id}/messages/", {"body": "本人の了解を得て転送します"})
    redirect(api, "consult1", sheet_id, "seikatsu_hogo", "所持金がなく生活保護の申請が必要")

    desk_view = api("hogo_staff").get(f"/sheets/{sheet_id}/").body
    assert desk_view["view"] == "desk"
    assert desk_view["summary"] == "市税の滞納で差押えを受け、家賃も払えなくなっている。"
    assert desk_view["resident_words"] == "もうどうしたらいいかわからない"
    assert desk_view["details"]["tax"] == "市県民税 滞納 約40万円"
    assert desk_view["details"]["household"] == "単身"
    assert desk_view["resident"]["family_name"] == "山田"
    events = api("hogo_staff").get(f"/sheets/{sheet_id}/events/").body
    assert [e["kind"] for e in events] == [
        "sent",
        "acknowledged",
        "accepted",
        "contacted",
        "redirected",
    ]
    assert events[3]["note"] == "電話で本人と話した"
    assert events[4]["note"] == "所持金がなく生活保護の申請が必要"
    messages = api("hogo_staff").get(f"/sheets/{sheet_id}/messages/").body
    assert [m["body"] for m in messages] == ["本人の了解を得て転送します"]


def test_the_previous_desk_no_longer_sees_the_sheet(demo, api, resident, wide_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    reply = api("consult1").get(f"/sheets/{sheet_id}/")

    assert reply.status == 403
    assert "summary" not in reply.body
    assert api("consult1").get("/sheets/", box="inbox").body["count"] == 0


def test_redirect_restarts_the_acknowledgement_clock(demo, api, resident, wide_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent, urgency="soon")
    drive_to(demo, sheet_id, "accepted")
    first_due = ConnectSheet.objects.get(pk=sheet_id).ack_due_at

    redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.ack_due_at >= first_due
    assert sheet.owner_since > sheet.sent_at
    assert (sheet.acknowledged_at, sheet.accepted_at, sheet.handler) == (None, None, None)


def test_each_side_hears_of_a_redirect_once(demo, api, resident, wide_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, wide_consent)
    last = InboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    redirect(api, "consult1", sheet_id, "seikatsu_hogo")

    heard = list(
        InboxEvent.objects.filter(pk__gt=last).values_list("user__username", "type", "box")
    )
    assert sorted(heard) == sorted(
        [
            ("consult1", "sheet.updated", "inbox"),
            ("consult2", "sheet.updated", "inbox"),
            ("consult_lead", "sheet.updated", "inbox"),
            ("hogo_staff", "sheet.received", "inbox"),
            ("hogo_lead", "sheet.received", "inbox"),
            ("tax_clerk", "sheet.updated", "sent"),
        ]
    )
