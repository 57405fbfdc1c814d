"""Withdrawal takes effect at once, everywhere (DESIGN.md, Consent and legal bases): every later
read and send is refused, open sheets record it on their timeline, and the owner desk and the
sender are told live (ids only)."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Consent
from referral_hub.handoffs.models import SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import drive_to, expire, send, send_ok


def withdraw(api, consent_id: int, reason: str = "本人から撤回の申し出"):
    return api.post(f"/consents/{consent_id}/withdraw/", {"reason": reason})


def test_withdrawal_through_the_api_records_who_when_and_why(demo, api, jiritsu_consent):
    reply = withdraw(api("tax_clerk"), jiritsu_consent.pk)

    assert reply.status == 200, reply.body
    assert (reply.body["status"], bool(reply.body["withdrawn_at"])) == ("withdrawn", True)
    consent = Consent.objects.get(pk=jiritsu_consent.pk)
    assert consent.withdrawn_by == demo.user("tax_clerk")
    assert consent.withdrawal_reason == "本人から撤回の申し出"
    event = AuditEvent.objects.filter(action="consent.withdraw").last()
    assert (event.target_id, event.resident_id) == (str(consent.pk), consent.resident_id)


def test_withdrawing_twice_is_409(demo, api, jiritsu_consent):
    withdraw(api("tax_clerk"), jiritsu_consent.pk)

    reply = withdraw(api("consult1"), jiritsu_consent.pk)

    assert (reply.status, reply.code) == (409, "already_withdrawn")


def test_desk_staff_can_record_the_residents_withdrawal(demo, api, jiritsu_consent):
    # The resident may tell the desk rather than the counter that recorded the consent.
    assert withdraw(api("consult1"), jiritsu_consent.pk).status == 200


def test_withdrawal_blocks_every_later_read_and_send_at_once(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    assert api("consult1").get(f"/sheets/{sheet_id}/").status == 200

    assert withdraw(api("tax_clerk"), full_consent.pk).status == 200

    for path in (
        f"/sheets/{sheet_id}/",
        f"/sheets/{sheet_id}/events/",
        f"/residents/{resident.pk}/",
    ):
        reply = api("consult1").get(path)
        assert (reply.status, reply.code) == (403, "consent_withdrawn"), path
    assert send(api("tax_clerk"), resident, full_consent).code == "consent_withdrawn"
    redirect = api("consult1").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"}
    )
    assert (redirect.status, redirect.code) == (403, "consent_withdrawn")


def test_desk_can_still_close_the_sheet_after_withdrawal(demo, api, resident, jiritsu_consent):
    # The desk must never be left holding a sheet it cannot get rid of (invariant 2).
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")
    withdraw(api("tax_clerk"), jiritsu_consent.pk)

    reply = api("consult1").act(sheet_id, "close", {"outcome": "consent_withdrawn"})

    assert (reply.status, reply.body["status"]) == (200, "closed")


def test_open_sheets_record_the_withdrawal_and_both_sides_are_told(
    demo, api, resident, jiritsu_consent
):
    open_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    closed_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, closed_id, "closed")

    withdraw(api("tax_clerk"), jiritsu_consent.pk)

    assert SheetEvent.objects.filter(sheet_id=open_id, kind="consent_withdrawn").count() == 1
    assert not SheetEvent.objects.filter(sheet_id=closed_id, kind="consent_withdrawn").exists()
    told = InboxEvent.objects.filter(type="consent.withdrawn", sheet_id=open_id)
    assert set(told.values_list("user__username", flat=True)) == {
        "consult1",
        "consult2",
        "consult_lead",
        "tax_clerk",
    }
    # Events carry ids only (invariant 8).
    for event in told:
        assert event.extra == {"consent": jiritsu_consent.pk, "owner_desk": "jiritsu"}


def test_consent_shows_expired_after_its_valid_until(demo, api, jiritsu_consent):
    expire(jiritsu_consent)

    reply = api("tax_clerk").get(f"/consents/{jiritsu_consent.pk}/")

    assert (reply.status, reply.body["status"]) == (200, "expired")


def test_privacy_officer_may_record_a_withdrawal_received_in_writing(demo, api, jiritsu_consent):
    reply = withdraw(api("privacy_officer"), jiritsu_consent.pk)

    assert (reply.status, reply.body["status"]) == (200, "withdrawn")
    assert Consent.objects.get(pk=jiritsu_consent.pk).withdrawn_by == demo.user("privacy_officer")


def test_withdrawing_an_unknown_consent_is_refused_like_an_unrelated_one(demo, api):
    reply = withdraw(api("tax_clerk"), 999_999)

    assert (reply.status, reply.code) == (403, "no_relationship")
