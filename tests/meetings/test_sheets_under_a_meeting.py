"""Sending, reading and redirecting a sheet on the support-meeting basis (issue 17): the sheet
names the meeting; the gate allows it only while the meeting is open, between pledged members,
about a resident on the agenda; every allowed disclosure is queued for the privacy officer."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.meetings import services
from tests.fixtures_sheets import make_consent, make_resident, send, send_ok
from tests.meetings.helpers import end_access, meeting_ready

JUSTIFICATION = "支援会議で検討した世帯"


def _send(api, resident, meeting_id, **overrides):
    body = {"legal_basis": "support_meeting", "justification": JUSTIFICATION}
    if meeting_id is not None:
        body["support_meeting"] = meeting_id
    body.update(overrides)
    return send(api("tax_clerk"), resident, None, **body)


def test_send_under_an_open_meeting_names_the_meeting_and_enters_the_review_queue(
    demo, api, resident
):
    meeting = meeting_ready(demo, resident)

    reply = _send(api, resident, meeting.pk)

    assert reply.status == 201, reply.body
    assert reply.body["support_meeting"] == meeting.pk
    sheet = ConnectSheet.objects.get(pk=reply.body["id"])
    assert (sheet.legal_basis, sheet.support_meeting_id, sheet.consent_id) == (
        "support_meeting",
        meeting.pk,
        None,
    )
    event = AuditEvent.objects.get(action="sheet.send", allowed=True)
    assert event.details["support_meeting"] == meeting.pk
    review = DisclosureReview.objects.get(event=event)
    assert review.status == "pending"


def test_send_without_a_meeting_is_refused_support_meeting_required(demo, api, resident):
    reply = _send(api, resident, None)

    assert (reply.status, reply.code) == (403, "support_meeting_required")
    assert reply.body["detail"]
    assert not ConnectSheet.objects.exists()


def test_send_naming_an_unknown_meeting_is_refused_support_meeting_required(demo, api, resident):
    reply = _send(api, resident, 999_999)

    assert (reply.status, reply.code) == (403, "support_meeting_required")


def test_send_to_a_desk_without_a_pledged_member_is_refused_pledge_required(demo, api, resident):
    meeting = meeting_ready(demo, resident)  # hogo_staff is a member but has not pledged

    reply = _send(api, resident, meeting.pk, to_desk="seikatsu_hogo")

    assert (reply.status, reply.code) == (403, "pledge_required")
    assert not ConnectSheet.objects.exists()


def test_send_by_a_member_who_has_not_pledged_is_refused_pledge_required(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    demo.add_staff("shuno2", "clerk", department="shuno")
    services.add_member(demo.user("consult_lead"), meeting.pk, user_id=demo.user("shuno2").pk)
    from tests.fixtures_sheets import look_up

    look_up(demo.user("shuno2"), resident)

    reply = send(
        api("shuno2"),
        resident,
        None,
        legal_basis="support_meeting",
        justification=JUSTIFICATION,
        support_meeting=meeting.pk,
    )

    assert (reply.status, reply.code) == (403, "pledge_required")
    assert (
        AuditEvent.objects.filter(action="sheet.send").last().details["refusal_detail"] == "actor"
    )


def test_a_colleague_who_is_no_pledged_member_may_not_read_the_sheet(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    send_ok(
        api("tax_clerk"),
        resident,
        None,
        legal_basis="support_meeting",
        justification=JUSTIFICATION,
        support_meeting=meeting.pk,
    )
    # consult2 works at jiritsu like pledged consult1, but is no member: they may not read it.
    sheet = ConnectSheet.objects.get()

    assert api("consult2").get(f"/sheets/{sheet.pk}/").code == "pledge_required"
    assert api("consult1").get(f"/sheets/{sheet.pk}/").status == 200


def test_send_about_a_resident_not_on_the_agenda_is_refused_not_on_agenda(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    other = make_resident(demo.user("tax_clerk"), family_kana="ホカ")

    reply = _send(api, other, meeting.pk)

    assert (reply.status, reply.code) == (403, "not_on_agenda")


def test_send_under_a_closed_meeting_is_refused_support_meeting_closed(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    services.close(demo.user("consult_lead"), meeting.pk)

    reply = _send(api, resident, meeting.pk)

    assert (reply.status, reply.code) == (403, "support_meeting_closed")


def test_after_access_until_the_desk_no_longer_reads_the_sheet(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    sheet_id = _send(api, resident, meeting.pk).body["id"]
    assert api("consult1").get(f"/sheets/{sheet_id}/").status == 200

    end_access(meeting)

    reply = api("consult1").get(f"/sheets/{sheet_id}/")
    assert (reply.status, reply.code) == (403, "support_meeting_closed")
    # The timeline stays; the sender still sees status and outcome.
    assert api("tax_clerk").get(f"/sheets/{sheet_id}/").status == 200


def test_after_access_until_a_consent_to_the_desk_is_the_remaining_basis(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    sheet_id = _send(api, resident, meeting.pk).body["id"]
    make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    end_access(meeting)

    reply = api("consult1").get(f"/sheets/{sheet_id}/")

    assert reply.status == 200, reply.body
    read = AuditEvent.objects.filter(action="sheet.read", allowed=True).last()
    assert read.legal_basis == "consent"


def test_redirect_under_the_meeting_needs_a_pledged_recipient_desk(demo, api, resident):
    meeting = meeting_ready(demo, resident)
    sheet_id = _send(api, resident, meeting.pk).body["id"]
    lead = api("consult_lead")
    services.pledge(demo.user("consult_lead"), meeting.pk)

    refused = lead.act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護の相談"})
    assert (refused.status, refused.code) == (403, "pledge_required")

    services.pledge(demo.user("hogo_staff"), meeting.pk)
    moved = lead.act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護の相談"})
    assert moved.status == 200, moved.body
    redirect = AuditEvent.objects.get(action="sheet.redirect", allowed=True)
    assert redirect.details["support_meeting"] == meeting.pk
    assert DisclosureReview.objects.filter(event=redirect).exists()


def test_a_sheet_sent_before_meetings_existed_stays_readable_under_the_old_rule(
    demo, api, resident
):
    """Sheets of the flag era carry no meeting: a flagged desk still reads them."""
    meeting = meeting_ready(demo, resident)
    sheet_id = _send(api, resident, meeting.pk).body["id"]
    ConnectSheet.objects.filter(pk=sheet_id).update(support_meeting=None)
    assert demo.desk("jiritsu").support_meeting_member

    assert api("consult2").get(f"/sheets/{sheet_id}/").status == 200

    demo.desk("jiritsu").__class__.objects.filter(code="jiritsu").update(
        support_meeting_member=False
    )
    reply = api("consult2").get(f"/sheets/{sheet_id}/")
    assert (reply.status, reply.code) == (403, "not_support_meeting_member")
