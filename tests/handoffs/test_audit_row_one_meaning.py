"""An audit row has one meaning (issue 16, inputs 1 and 2): the gate's decision and the state
change are different actions, and a send's decision names the sheet it disclosed."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.consent.models import LegalBasis
from referral_hub.consent.reference_data import ensure_legal_bases
from referral_hub.consent.services import ResidentInput, register_resident
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import drive_to, send_ok
from tests.meetings.helpers import meeting_ready


def _client(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def _support_meeting_send(resident_id: int, summary: str, meeting_id: int) -> int:
    sent = _client("tax_clerk").post(
        "/api/v1/sheets/",
        {
            "resident": resident_id,
            "to_desk": "jiritsu",
            "concerns": ["no_food"],
            "summary": summary,
            "urgency": "urgent",
            "legal_basis": "support_meeting",
            "justification": "支援会議で共有済み",
            "support_meeting": meeting_id,
        },
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    return int(sent.json()["id"])


@pytest.mark.django_db(transaction=True)
def test_flagging_the_second_of_two_sheets_alerts_the_lead_about_the_second(demo):
    ensure_legal_bases(LegalBasis)  # transactional tests flush migration-seeded rows
    clerk = get_user_model().objects.get(username="tax_clerk")
    resident = register_resident(
        clerk, ResidentInput("佐藤", "一", "サトウ", "ハジメ", datetime.date(1960, 5, 5))
    )
    meeting = meeting_ready(None, resident)  # issue 17: the basis names a meeting
    first = _support_meeting_send(resident.pk, "食料がない", meeting.pk)
    second = _support_meeting_send(resident.pk, "家賃の滞納", meeting.pk)
    reviews = list(DisclosureReview.objects.filter(status="pending").order_by("event_id"))
    assert [(r.event.target_type, r.event.target_id) for r in reviews] == [
        ("sheet", str(first)),
        ("sheet", str(second)),
    ]
    lead = get_user_model().objects.get(username="consult_lead")
    before = InboxEvent.objects.filter(user=lead).count()

    flagged = _client("privacy_officer").post(
        f"/api/v1/audit/reviews/{reviews[1].pk}/",
        {"decision": "flag", "note": "理由が不十分"},
        format="json",
    )

    assert flagged.status_code == 200, flagged.json()
    alerts = InboxEvent.objects.filter(user=lead).order_by("seq")[before:]
    assert [(e.extra.get("alert"), e.sheet_id) for e in alerts] == [("disclosure_flagged", second)]


def _actions(sheet_id: int, after_seq: int) -> Counter[str]:
    rows = AuditEvent.objects.filter(
        target_type="sheet", target_id=str(sheet_id), seq__gt=after_seq
    )
    return Counter(rows.values_list("action", flat=True))


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.django_db
def test_a_send_writes_one_decision_and_one_state_change_both_naming_the_sheet(
    demo, api, resident, jiritsu_consent
):
    before = _last_seq()

    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    assert _actions(sheet_id, before) == Counter({"sheet.send": 1, "sheet.sent": 1})
    decision = AuditEvent.objects.get(action="sheet.send", seq__gt=before)
    assert (decision.target_type, decision.legal_basis) == ("sheet", "consent")
    assert decision.target_id == str(sheet_id)


@pytest.mark.django_db
def test_a_redirect_writes_one_row_per_action_name(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    before = _last_seq()

    reply = api("consult1").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"}
    )

    assert reply.status == 200
    assert _actions(sheet_id, before) == Counter({"sheet.redirect": 1, "sheet.redirected": 1})
    decision = AuditEvent.objects.get(action="sheet.redirect", seq__gt=before)
    change = AuditEvent.objects.get(action="sheet.redirected", seq__gt=before)
    assert (decision.legal_basis, decision.details["recipient_desk"]) == (
        "consent",
        "seikatsu_hogo",
    )
    assert (change.legal_basis, change.details["to_desk"]) == ("", "seikatsu_hogo")


@pytest.mark.django_db
def test_a_resend_writes_one_row_per_action_name(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "returned")
    before = _last_seq()

    assert api("tax_clerk").act(sheet_id, "resend", {}).status == 200

    assert _actions(sheet_id, before) == Counter({"sheet.resend": 1, "sheet.resent": 1})


@pytest.mark.django_db
def test_counts_by_action_count_each_event_once(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    desk = api("consult1")
    assert desk.act(sheet_id, "acknowledge", {}).status == 200
    assert (
        desk.act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護"}).status == 200
    )

    counts = _actions(sheet_id, 0)

    assert counts == Counter(
        {
            "sheet.send": 1,
            "sheet.sent": 1,
            "sheet.acknowledged": 1,
            "sheet.redirect": 1,
            "sheet.redirected": 1,
        }
    )
