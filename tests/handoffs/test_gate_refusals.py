"""The policy gate refuses every send and read without a legal basis, with a 403 whose ``code``
names the rule; the refusal is audited and nothing else is written (DESIGN.md invariant 1)."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.consent.services import withdraw_consent
from referral_hub.directory.models import Department, Desk
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import (
    ALL_CATEGORIES,
    expire,
    make_consent,
    make_resident,
    send,
    send_ok,
)
from tests.meetings.helpers import meeting_ready


def assert_refused_send(reply, code: str) -> None:
    """403 with the rule's code; no sheet, no timeline, no inbox event; a refused audit row."""
    assert (reply.status, reply.code) == (403, code), reply.body
    assert reply.body["detail"]
    assert ConnectSheet.objects.count() == 0
    assert SheetEvent.objects.count() == 0
    assert InboxEvent.objects.filter(type="sheet.received").count() == 0
    refusal = AuditEvent.objects.filter(action="sheet.send").last()
    assert (refusal.allowed, refusal.refusal_code) == (False, code)
    assert not AuditEvent.objects.filter(action__in=["sheet.send", "sheet.sent"], allowed=True)


# --- sends on the consent basis ------------------------------------------------------------------


def test_send_without_consent_is_refused_consent_required(demo, api, resident):
    reply = send(api("tax_clerk"), resident, None)

    assert_refused_send(reply, "consent_required")


def test_consent_of_another_resident_does_not_count(demo, api, resident):
    someone_else = make_resident(demo.user("tax_clerk"), family_kana="スズキ")
    their_consent = make_consent(demo.user("tax_clerk"), someone_else, ["jiritsu"])

    reply = send(api("tax_clerk"), resident, their_consent)

    assert_refused_send(reply, "consent_required")


def test_send_to_desk_the_consent_does_not_cover_is_refused_consent_scope(
    demo, api, resident, jiritsu_consent
):
    reply = send(api("tax_clerk"), resident, jiritsu_consent, to_desk="seikatsu_hogo")

    assert_refused_send(reply, "consent_scope")


@pytest.mark.parametrize("category", ["tax", "health", "household"])
def test_details_the_consent_does_not_cover_are_refused_consent_scope(
    demo, api, resident, jiritsu_consent, category
):
    # Tax secrecy: tax details go onto the sheet only when the consent explicitly covers them.
    reply = send(
        api("tax_clerk"), resident, jiritsu_consent, details={category: "市県民税 3期分 滞納"}
    )

    assert_refused_send(reply, "consent_scope")


def test_tax_details_are_sent_when_the_consent_covers_tax(demo, api, resident):
    consent = make_consent(
        demo.user("tax_clerk"), resident, ["jiritsu"], ["identity", "concern", "tax"]
    )

    sheet_id = send_ok(
        api("tax_clerk"), resident, consent, details={"tax": "市県民税 3期分 滞納 差押え中"}
    )

    desk_view = api("consult1").get(f"/sheets/{sheet_id}/").body
    assert desk_view["details"]["tax"] == "市県民税 3期分 滞納 差押え中"
    assert sorted(desk_view["categories"]) == ["concern", "identity", "tax"]


def test_empty_details_do_not_need_their_category(demo, api, resident, jiritsu_consent):
    reply = send(api("tax_clerk"), resident, jiritsu_consent, details={"tax": "  "})

    assert reply.status == 201


def test_send_under_withdrawn_consent_is_refused_consent_withdrawn(
    demo, api, resident, jiritsu_consent
):
    withdraw_consent(demo.user("tax_clerk"), jiritsu_consent, "本人の申し出")

    reply = send(api("tax_clerk"), resident, jiritsu_consent)

    assert_refused_send(reply, "consent_withdrawn")


def test_send_under_expired_consent_is_refused_consent_expired(
    demo, api, resident, jiritsu_consent
):
    expire(jiritsu_consent)

    reply = send(api("tax_clerk"), resident, jiritsu_consent)

    assert_refused_send(reply, "consent_expired")


def test_consent_is_valid_through_its_last_day(demo, api, resident, jiritsu_consent):
    from django.utils import timezone

    from referral_hub.consent.models import Consent

    Consent.objects.filter(pk=jiritsu_consent.pk).update(valid_until=timezone.localdate())

    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    assert api("consult1").get(f"/sheets/{sheet_id}/").status == 200


# --- sends on other legal bases ------------------------------------------------------------------


def test_support_meeting_without_a_meeting_is_refused(demo, api, resident):
    """Issue 17: the flags on desks and departments no longer allow a send; the basis names a
    meeting (tests/meetings/ covers pledges, the agenda and access_until)."""
    assert Department.objects.get(code="shuno").support_meeting_member
    assert Desk.objects.get(code="jiritsu").support_meeting_member

    reply = send(
        api("tax_clerk"),
        resident,
        None,
        legal_basis="support_meeting",
        justification="支援会議で共有済みの世帯",
    )

    assert_refused_send(reply, "support_meeting_required")


def test_support_meeting_without_justification_is_refused(demo, api, resident):
    reply = send(api("tax_clerk"), resident, None, legal_basis="support_meeting")

    assert_refused_send(reply, "justification_required")


def test_vital_interest_without_justification_is_refused(demo, api, resident):
    reply = send(
        api("tax_clerk"), resident, None, legal_basis="vital_interest", justification="   "
    )

    assert_refused_send(reply, "justification_required")


@pytest.mark.parametrize("basis", ["support_meeting", "vital_interest"])
def test_disclosure_without_consent_goes_to_the_privacy_officers_review_queue(
    demo, api, resident, basis
):
    # Issue 17: the support-meeting basis names a meeting where both sides pledged.
    meeting = meeting_ready(demo, resident) if basis == "support_meeting" else None
    sheet_id = send_ok(
        api("tax_clerk"),
        resident,
        None,
        urgency="urgent",
        legal_basis=basis,
        justification="所持金がなく今夜泊まる場所がない",
        support_meeting=meeting.pk if meeting else None,
    )

    send_event = AuditEvent.objects.get(action="sheet.send", allowed=True)
    assert send_event.legal_basis == basis
    assert DisclosureReview.objects.filter(event=send_event, status="pending").exists()
    # The desk's read of the sheet is a disclosure on the same basis, reviewed too.
    assert api("consult1").get(f"/sheets/{sheet_id}/").status == 200
    read_event = AuditEvent.objects.filter(action="sheet.read", allowed=True).last()
    assert read_event.legal_basis == basis
    assert DisclosureReview.objects.filter(event=read_event).exists()


# --- who may send --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["privacy_officer", "admin"])
def test_privacy_officer_and_admin_cannot_send(demo, api, resident, jiritsu_consent, username):
    reply = send(api(username), resident, jiritsu_consent)

    assert_refused_send(reply, "role_not_allowed")


# --- reads ---------------------------------------------------------------------------------------


def test_owner_desk_read_is_allowed_and_audited(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    reply = api("consult2").get(f"/sheets/{sheet_id}/")

    assert reply.status == 200
    assert reply.body["view"] == "desk"
    read = AuditEvent.objects.filter(action="sheet.read").last()
    assert (read.allowed, read.actor_username, read.target_id, read.legal_basis) == (
        True,
        "consult2",
        str(sheet_id),
        "consent",
    )
    assert read.details["consent"] == jiritsu_consent.pk


def test_desk_read_after_withdrawal_is_refused_consent_withdrawn(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    withdraw_consent(demo.user("tax_clerk"), jiritsu_consent, "本人の申し出")

    for path in (f"/sheets/{sheet_id}/", f"/sheets/{sheet_id}/events/"):
        reply = api("consult1").get(path)
        assert (reply.status, reply.code) == (403, "consent_withdrawn"), path
        assert "summary" not in reply.body


def test_desk_read_after_expiry_is_refused_consent_expired(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    expire(jiritsu_consent)

    reply = api("consult1").get(f"/sheets/{sheet_id}/")

    assert (reply.status, reply.code) == (403, "consent_expired")
    refusal = AuditEvent.objects.filter(action="sheet.read").last()
    assert (refusal.allowed, refusal.refusal_code) == (False, "consent_expired")


def test_resident_identity_read_follows_the_consent(demo, api, resident, jiritsu_consent):
    send_ok(api("tax_clerk"), resident, jiritsu_consent)
    assert api("consult1").get(f"/residents/{resident.pk}/").body["family_name"] == "山田"

    withdraw_consent(demo.user("tax_clerk"), jiritsu_consent, "本人の申し出")

    reply = api("consult1").get(f"/residents/{resident.pk}/")
    assert (reply.status, reply.code) == (403, "consent_withdrawn")


@pytest.mark.parametrize("username", ["hogo_staff", "nhi_clerk", "privacy_officer", "admin"])
def test_nobody_outside_the_owner_desk_and_the_sending_side_reads_the_sheet(
    demo, api, resident, full_consent, username
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)

    for path in (
        f"/sheets/{sheet_id}/",
        f"/sheets/{sheet_id}/events/",
        f"/sheets/{sheet_id}/messages/",
        f"/residents/{resident.pk}/",
    ):
        reply = api(username).get(path)
        assert reply.status == 403, (path, reply.body)
        assert reply.code in {"not_desk_member", "role_not_allowed", "not_sender"}
        assert "山田" not in str(reply.body)
    assert api(username).get("/sheets/", box="inbox").body["count"] == 0
    assert api(username).get("/sheets/", box="sent").body["count"] == 0


# --- who may act ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "action", "body", "code"),
    [
        ("tax_clerk", "acknowledge", None, "not_owner_desk"),
        ("hogo_staff", "acknowledge", None, "not_owner_desk"),
        ("privacy_officer", "acknowledge", None, "not_owner_desk"),
        ("nhi_clerk", "withdraw", {"reason": "取下げ"}, "not_sender"),
        ("consult1", "withdraw", {"reason": "取下げ"}, "not_sender"),
        ("hogo_staff", "redirect", {"to_desk": "seikatsu_hogo", "reason": "x"}, "not_owner_desk"),
    ],
)
def test_a_role_that_may_not_act_gets_403(
    demo, api, resident, full_consent, username, action, body, code
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)

    reply = api(username).act(sheet_id, action, body)

    assert (reply.status, reply.code) == (403, code)
    assert ConnectSheet.objects.get(pk=sheet_id).status == "sent"
    refusal = AuditEvent.objects.filter(action=f"sheet.{action}").last()
    assert (refusal.allowed, refusal.refusal_code) == (False, code)


def test_sender_cannot_resend_once_the_consent_is_withdrawn(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    api("consult1").act(sheet_id, "return", {"reason": "確認"})
    withdraw_consent(demo.user("tax_clerk"), jiritsu_consent, "本人の申し出")

    reply = api("tax_clerk").act(sheet_id, "resend", {})

    assert (reply.status, reply.code) == (403, "consent_withdrawn")
    assert ConnectSheet.objects.get(pk=sheet_id).status == "returned"


def test_every_category_consent_lets_every_detail_through(demo, api, resident):
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"], list(ALL_CATEGORIES))

    reply = send(
        api("tax_clerk"),
        resident,
        consent,
        details={"tax": "滞納あり", "health": "うつ病で通院", "household": "妻と子2人"},
    )

    assert reply.status == 201
    assert sorted(ConnectSheet.objects.get(pk=reply.body["id"]).categories) == [
        "concern",
        "health",
        "household",
        "identity",
        "tax",
    ]
