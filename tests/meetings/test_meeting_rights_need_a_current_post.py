"""Security findings on support meetings: every right comes from a CURRENT post (DESIGN.md
invariant 9), the agenda ends with the meeting and skips suspended residents, the send refusal
codes reveal nothing to non-members, and bad input is refused (400) rather than stored."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from referral_hub.api_input import latest_valid_until
from referral_hub.directory.models import Membership
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.meetings import services
from referral_hub.meetings.models import MeetingMember, SupportMeeting
from referral_hub.rights import services as rights_services
from tests.fixtures_sheets import look_up, make_resident, send
from tests.meetings.helpers import end_access, meeting_ready
from tests.rights.conftest import register

BASE = "/support-meetings/"
JUSTIFICATION = "支援会議で検討した世帯"


def _move(demo, username, role, *, desk=None, department=None):
    """An administrator moves ``username`` to a new post (the old one is removed)."""
    user = demo.user(username)
    for membership in list(Membership.objects.filter(user=user)):
        remove_membership(membership)
    add_membership(
        user,
        role,
        desk=demo.desk(desk) if desk else None,
        department=demo.department(department) if department else None,
    )


def _as(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _ready(demo, resident):
    meeting = meeting_ready(demo, resident)
    services.pledge(demo.user("consult_lead"), meeting.pk)
    return meeting


# --- 1. a moved or demoted convener loses control ------------------------------------------------


def test_a_convener_moved_to_another_desk_loses_the_meeting_in_api_and_pages(demo, api, resident):
    meeting = _ready(demo, resident)
    lead = api("consult_lead")  # the token issued before the move
    assert lead.get(f"{BASE}{meeting.pk}/").body["cases"]

    _move(demo, "consult_lead", "lead", desk="kakei")

    assert lead.get(f"{BASE}{meeting.pk}/").status == 404
    assert lead.get(BASE).body == []
    assert lead.post(f"{BASE}{meeting.pk}/close/").status == 404
    page = _as("consult_lead")
    assert page.get(f"/meetings/{meeting.pk}/").status_code == 404
    assert page.get(f"/meetings/{meeting.pk}/record/").status_code == 404
    added = page.post(f"/meetings/{meeting.pk}/members/", {"user": demo.user("consult2").pk})
    assert added.status_code == 404
    assert not MeetingMember.objects.filter(meeting=meeting, user__username="consult2").exists()
    assert SupportMeeting.objects.get(pk=meeting.pk).status != "closed"


def test_a_demoted_convener_keeps_the_members_view_but_not_the_leads_rights(demo, api, resident):
    meeting = _ready(demo, resident)
    _move(demo, "consult_lead", "consultant", desk="jiritsu")
    lead = api("consult_lead")

    assert lead.get(f"{BASE}{meeting.pk}/").status == 200  # still a pledged member at jiritsu
    assert lead.post(f"{BASE}{meeting.pk}/close/").code == "lead_required"
    body = {"member": MeetingMember.objects.get(meeting=meeting, user__username="hogo_staff").pk}
    assert lead.post(f"{BASE}{meeting.pk}/pledge/", body).code == "lead_required"
    added = _as("consult_lead").post(
        f"/meetings/{meeting.pk}/members/", {"user": demo.user("consult2").pk}
    )
    assert added.status_code == 302
    assert not MeetingMember.objects.filter(meeting=meeting, user__username="consult2").exists()


# --- 2. moved members lose the agenda -----------------------------------------------------------


def test_members_moved_away_no_longer_see_the_meeting_or_its_agenda(demo, api, resident):
    meeting = _ready(demo, resident)
    consult1, tax_clerk = api("consult1"), api("tax_clerk")
    assert consult1.get(f"{BASE}{meeting.pk}/").body["cases"]

    _move(demo, "consult1", "consultant", desk="kakei")
    _move(demo, "tax_clerk", "clerk", department="kokuho_nenkin")

    for client in [consult1, tax_clerk]:
        assert client.get(f"{BASE}{meeting.pk}/").status == 404
        assert client.get(BASE).body == []
        assert client.post(f"{BASE}{meeting.pk}/pledge/").status == 404
    other = make_resident(demo.user("tax_clerk"), family_kana="ホカ")
    reply = tax_clerk.post(f"{BASE}{meeting.pk}/cases/", {"resident": other.pk, "reason": "r"})
    assert reply.status == 404
    assert _as("consult1").get(f"/meetings/{meeting.pk}/record/").status_code == 404


# --- 3. the agenda after the meeting, and suspended residents ------------------------------------


def test_after_close_only_the_convener_and_the_privacy_officer_see_the_agenda(demo, api, resident):
    meeting = _ready(demo, resident)
    services.close(demo.user("consult_lead"), meeting.pk)

    assert api("consult1").get(f"{BASE}{meeting.pk}/").body["cases"] is None
    assert api("tax_clerk").get(f"{BASE}{meeting.pk}/").body["cases"] is None
    assert api("consult_lead").get(f"{BASE}{meeting.pk}/").body["cases"]
    assert api("privacy_officer").get(f"{BASE}{meeting.pk}/").body["cases"]
    record = _as("consult1").get(f"/meetings/{meeting.pk}/record/")
    assert record.status_code == 302


def test_after_access_until_members_no_longer_see_the_agenda(demo, api, resident):
    meeting = _ready(demo, resident)
    end_access(meeting)

    assert api("consult1").get(f"{BASE}{meeting.pk}/").body["cases"] is None
    assert api("privacy_officer").get(f"{BASE}{meeting.pk}/").body["cases"]


def test_a_suspended_residents_case_is_withheld_from_members_not_the_officer(demo, api, resident):
    meeting = _ready(demo, resident)
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk, kind="suspension")
    rights_services.decide_request(officer, request.pk, "suspended", "本人の請求どおり利用を停止")

    assert api("consult1").get(f"{BASE}{meeting.pk}/").body["cases"] == []
    assert [
        c["resident"] for c in api("privacy_officer").get(f"{BASE}{meeting.pk}/").body["cases"]
    ] == [resident.pk]
    page = _as("consult1").get(f"/meetings/{meeting.pk}/")
    assert str(resident.pk) not in [str(row["case"].resident_id) for row in page.context["agenda"]]


# --- 4 and 6. input ------------------------------------------------------------------------------


def _body(**overrides):
    body = {"law": "art9_jiritsu", "name": "第3回", "held_on": timezone.localdate().isoformat()}
    body.update(overrides)
    return body


def test_implausible_meeting_days_nul_and_unknown_nested_keys_are_400(demo, api):
    lead = api("consult_lead")
    far = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    for body in [
        _body(held_on="2199-12-31"),
        _body(held_on="1900-01-01"),
        _body(held_on=far),
        _body(name="a\u0000b"),
        _body(external_members=[{"organisation": "社協", "person": "x\u0000"}]),
        _body(external_members=[{"organisation": "社協", "person": "佐藤", "extra": 1}]),
    ]:
        reply = lead.post(BASE, body)
        assert reply.status == 400, (body, reply.body)
    assert not SupportMeeting.objects.exists()


def test_the_page_refuses_an_implausible_meeting_day(demo):
    form = {"law": "art9_jiritsu", "name": "永久", "held_on": "2199-12-31"}
    _as("consult_lead").post("/meetings/", form)
    assert not SupportMeeting.objects.exists()


def test_the_default_access_until_gets_the_retention_cap(demo, api, settings):
    settings.SUPPORT_MEETING_ACCESS_DAYS = 5000
    settings.RETENTION_YEARS = 1

    reply = api("consult_lead").post(BASE, _body())

    assert reply.status == 201, reply.body
    meeting = SupportMeeting.objects.get(pk=reply.body["id"])
    assert timezone.localtime(meeting.access_until).date() == latest_valid_until()


# --- 5. send refusal codes reveal nothing to non-members -----------------------------------------


def _send(api_client, resident, meeting_id):
    return send(
        api_client,
        resident,
        None,
        legal_basis="support_meeting",
        justification=JUSTIFICATION,
        support_meeting=meeting_id,
    )


def test_a_non_member_hears_of_no_meeting_whatever_its_state(demo, api, resident):
    meeting = _ready(demo, resident)
    closed = _ready(demo, make_resident(demo.user("tax_clerk"), family_kana="トジル"))
    services.close(demo.user("consult_lead"), closed.pk)
    own = make_resident(demo.user("nhi_clerk"), family_kana="コクホ")
    look_up(demo.user("nhi_clerk"), own)
    outsider = api("nhi_clerk")

    unknown = _send(outsider, own, 999_999)
    assert (unknown.status, unknown.code) == (403, "support_meeting_required")
    for meeting_id in [meeting.pk, closed.pk]:
        reply = _send(outsider, own, meeting_id)
        assert (reply.status, reply.code) == (403, "support_meeting_required"), reply.body
        # The same text, naming only the id the caller sent.
        same = unknown.body["detail"].replace("meeting:999999", f"meeting:{meeting_id}")
        assert reply.body["detail"] == same
    # A member still learns the state of their own meeting.
    assert _send(api("tax_clerk"), resident, closed.pk).code == "support_meeting_closed"
    # A member moved away is an outsider now.
    _move(demo, "tax_clerk", "clerk", department="kokuho_nenkin")
    theirs = make_resident(demo.user("tax_clerk"), family_kana="イドウ")
    assert _send(api("tax_clerk"), theirs, closed.pk).code == "support_meeting_required"
