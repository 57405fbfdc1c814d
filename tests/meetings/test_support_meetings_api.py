"""The support-meeting API (issue 17): who may convene, see, pledge, add cases and close, and
what each answer reveals (403 for a rule, 404 for a meeting the caller may not know of)."""

from __future__ import annotations

import datetime
import json

from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.meetings import pledge_texts
from referral_hub.meetings.models import MeetingCase, MeetingMember, Pledge, SupportMeeting
from tests.fixtures_sheets import make_resident
from tests.meetings.helpers import convene

BASE = "/support-meetings/"


def _body(demo, members, **overrides):
    body = {
        "law": "art9_jiritsu",
        "name": "第2回 支援会議",
        "held_on": timezone.localdate().isoformat(),
        "members": [demo.user(name).pk for name in members],
    }
    body.update(overrides)
    return body


def test_a_lead_convenes_a_meeting_with_the_default_access_period(demo, api, settings):
    settings.SUPPORT_MEETING_ACCESS_DAYS = 30

    reply = api("consult_lead").post(BASE, _body(demo, ["tax_clerk", "consult1"]))

    assert reply.status == 201, reply.body
    meeting = SupportMeeting.objects.get(pk=reply.body["id"])
    assert meeting.access_until.date() == timezone.localdate() + datetime.timedelta(days=30)
    users = set(
        MeetingMember.objects.filter(meeting=meeting).values_list("user__username", flat=True)
    )
    assert users == {"consult_lead", "tax_clerk", "consult1"}
    assert reply.body["cases"] is None  # the convener has not pledged yet
    assert AuditEvent.objects.filter(action="support_meeting.convened").count() == 1


def test_an_explicit_access_until_is_the_end_of_that_day(demo, api):
    day = timezone.localdate() + datetime.timedelta(days=10)

    reply = api("consult_lead").post(BASE, _body(demo, [], access_until=day.isoformat()))

    meeting = SupportMeeting.objects.get(pk=reply.body["id"])
    assert timezone.localtime(meeting.access_until).date() == day


def test_external_members_are_stored_encrypted(demo, api):
    reply = api("consult_lead").post(
        BASE,
        _body(
            demo, [], external_members=[{"organisation": "民生委員協議会", "person": "佐藤一郎"}]
        ),
    )

    member = MeetingMember.objects.get(meeting_id=reply.body["id"], user__isnull=True)
    assert (member.organisation, member.person) == ("民生委員協議会", "佐藤一郎")
    stored = MeetingMember.objects.filter(pk=member.pk).values_list("person", flat=True).get()
    assert "佐藤" not in stored


def test_only_a_lead_convenes(demo, api):
    for name in ["consult1", "tax_clerk", "privacy_officer", "admin"]:
        reply = api(name).post(BASE, _body(demo, []))
        assert (reply.status, reply.code) == (403, "role_not_allowed"), name
    assert not SupportMeeting.objects.exists()


def test_bad_input_is_a_400_and_stores_nothing(demo, api):
    lead = api("consult_lead")
    assert lead.post(BASE, _body(demo, [], law="art1")).status == 400
    unknown = {**_body(demo, []), "members": [999_999]}
    assert lead.post(BASE, unknown).code == "unknown_member"
    assert lead.post(BASE, _body(demo, ["privacy_officer"])).code == "member_without_place"
    before = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert lead.post(BASE, _body(demo, [], access_until=before)).code == "access_before_meeting"
    assert not SupportMeeting.objects.exists()


def test_members_see_their_meetings_and_others_get_404(demo, api):
    meeting = convene(demo, ["tax_clerk"])

    assert [m["id"] for m in api("tax_clerk").get(BASE).body] == [meeting.pk]
    assert api("consult1").get(BASE).body == []
    assert api("tax_clerk").get(f"{BASE}{meeting.pk}/").status == 200
    for name in ["consult1", "hogo_staff"]:
        reply = api(name).get(f"{BASE}{meeting.pk}/")
        assert (reply.status, reply.code) == (404, "not_found"), name
    assert api("consult1").get(f"{BASE}999999/").status == 404
    # The privacy officer reviews meetings and sees the record.
    assert api("privacy_officer").get(f"{BASE}{meeting.pk}/").status == 200


def test_a_member_pledges_once_with_the_current_text_version_and_hash(demo, api):
    meeting = convene(demo, ["tax_clerk"])

    reply = api("tax_clerk").post(f"{BASE}{meeting.pk}/pledge/")

    assert reply.status == 201, reply.body
    signed = Pledge.objects.get(member__user__username="tax_clerk")
    assert signed.text_version == pledge_texts.CURRENT_VERSION
    assert signed.text_sha256 == pledge_texts.sha256_of(signed.text_version)
    assert len(signed.text_sha256) == 64 and not signed.on_paper
    assert reply.body["pledged"] is True and reply.body["cases"] == []
    again = api("tax_clerk").post(f"{BASE}{meeting.pk}/pledge/")
    assert (again.status, again.code) == (400, "already_pledged")
    assert api("consult1").post(f"{BASE}{meeting.pk}/pledge/").status == 404


def test_the_convener_records_an_external_members_paper_pledge(demo, api):
    reply = api("consult_lead").post(
        BASE, _body(demo, ["tax_clerk"], external_members=[{"organisation": "社会福祉協議会"}])
    )
    meeting_id = reply.body["id"]
    external = MeetingMember.objects.get(meeting_id=meeting_id, user__isnull=True)

    refused = api("tax_clerk").post(f"{BASE}{meeting_id}/pledge/", {"member": external.pk})
    assert (refused.status, refused.code) == (403, "lead_required")
    recorded = api("consult_lead").post(f"{BASE}{meeting_id}/pledge/", {"member": external.pk})

    assert recorded.status == 201, recorded.body
    assert Pledge.objects.get(member=external).on_paper


def test_cases_are_added_by_pledged_members_related_to_the_resident(demo, api):
    meeting = convene(demo, ["tax_clerk", "consult1"])
    resident = make_resident(demo.user("tax_clerk"))
    body = {"resident": resident.pk, "reason": "長期のひきこもり"}
    url = f"{BASE}{meeting.pk}/cases/"

    assert api("tax_clerk").post(url, body).code == "pledge_required"
    api("tax_clerk").post(f"{BASE}{meeting.pk}/pledge/")
    api("consult1").post(f"{BASE}{meeting.pk}/pledge/")
    # consult1 pledged but has no relationship with the resident (invariant 9).
    assert api("consult1").post(url, body).code == "no_relationship"
    assert api("hogo_staff").post(url, body).status == 404
    added = api("tax_clerk").post(url, body)

    assert added.status == 201, added.body
    case = MeetingCase.objects.get()
    assert (case.resident_id, case.reason, case.added_by.username) == (
        resident.pk,
        "長期のひきこもり",
        "tax_clerk",
    )
    event = AuditEvent.objects.get(action="support_meeting.case_added")
    assert event.resident_id == resident.pk
    assert api("tax_clerk").post(url, body).code == "already_on_agenda"
    agenda = api("consult1").get(f"{BASE}{meeting.pk}/").body["cases"]
    assert [c["resident"] for c in agenda] == [resident.pk]


def test_close_is_for_the_convener_or_a_lead_member(demo, api):
    meeting = convene(demo, ["tax_clerk"])
    url = f"{BASE}{meeting.pk}/close/"

    assert api("tax_clerk").post(url).code == "lead_required"
    assert api("consult1").post(url).status == 404
    closed = api("consult_lead").post(url)

    assert closed.status == 200 and closed.body["status"] == "closed", closed.body
    assert closed.body["open"] is False
    assert api("consult_lead").post(url).status == 409
    again = api("tax_clerk").post(f"{BASE}{meeting.pk}/pledge/")
    assert (again.status, again.code) == (409, "support_meeting_closed")


def test_convening_twice_with_one_idempotency_key_creates_one_meeting(demo, api):
    lead = api("consult_lead")
    body = json.dumps(_body(demo, ["tax_clerk"]))
    headers = {"HTTP_IDEMPOTENCY_KEY": "meeting-2026-11-30-a"}

    first = lead.client.post(f"/api/v1{BASE}", body, content_type="application/json", **headers)
    again = lead.client.post(f"/api/v1{BASE}", body, content_type="application/json", **headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert SupportMeeting.objects.count() == 1
