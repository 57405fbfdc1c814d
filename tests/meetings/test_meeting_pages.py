"""The 支援会議 pages: a lead convenes, a member pledges and sees the agenda, the convener sees
the sweep's notice, and the printable record lists members, pledges, agenda and sheets."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from referral_hub.meetings.models import MeetingMember, Pledge, SupportMeeting
from tests.fixtures_sheets import make_resident
from tests.meetings.helpers import end_access, meeting_ready


def _as(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_a_lead_convenes_on_the_page_and_a_clerk_may_not(demo):
    form = {
        "law": "sw_106_6",
        "name": "重層的支援会議",
        "held_on": timezone.localdate().isoformat(),
    }
    form["members"] = [str(demo.user("tax_clerk").pk)]

    refused = _as("tax_clerk").post("/meetings/", form)
    created = _as("consult_lead").post("/meetings/", form)

    meeting = SupportMeeting.objects.get()
    assert refused.status_code == 302 and created["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.law == "sw_106_6"
    assert set(MeetingMember.objects.values_list("user__username", flat=True)) == {
        "consult_lead",
        "tax_clerk",
    }


def test_a_member_pledges_then_sees_the_agenda_with_names(demo):
    resident = make_resident(demo.user("tax_clerk"), family_name="議題", family_kana="ギダイ")
    meeting = meeting_ready(demo, resident)  # hogo_staff is a member who has not pledged
    url = f"/meetings/{meeting.pk}/"

    before = _as("hogo_staff").get(url).content.decode()
    assert "誓約した構成員だけが見られます" in before and "議題" not in before
    _as("hogo_staff").post(f"{url}pledge/")
    after = _as("hogo_staff").get(url).content.decode()

    assert Pledge.objects.filter(member__user__username="hogo_staff").exists()
    assert "議題" in after and "長期のひきこもり" in after
    assert _as("consult2").get(url).status_code == 404


def test_the_convener_sees_the_sweeps_notice_once(demo):
    resident = make_resident(demo.user("tax_clerk"))
    meeting = meeting_ready(demo, resident)
    end_access(meeting)
    call_command("sweep_meetings", verbosity=0)

    first = _as("consult_lead").get("/meetings/").content.decode()
    second = _as("consult_lead").get("/meetings/").content.decode()

    assert "情報共有の期限を過ぎたため終了しました" in first
    assert "情報共有の期限を過ぎたため終了しました" not in second


def test_the_record_lists_pledges_agenda_and_sheets_for_pledged_members(demo, api):
    resident = make_resident(demo.user("tax_clerk"), family_name="記録")
    meeting = meeting_ready(demo, resident)
    sent = api("tax_clerk").post(
        "/sheets/",
        {
            "resident": resident.pk,
            "to_desk": "jiritsu",
            "concerns": ["no_food"],
            "summary": "食料がない",
            "urgency": "normal",
            "legal_basis": "support_meeting",
            "support_meeting": meeting.pk,
            "justification": "支援会議で共有",
        },
    )
    assert sent.status == 201, sent.body

    page = _as("consult1").get(f"/meetings/{meeting.pk}/record/").content.decode()

    assert sent.body["number"] in page and "記録" in page
    assert Pledge.objects.filter(member__meeting=meeting).first().text_sha256 in page
    assert _as("hogo_staff").get(f"/meetings/{meeting.pk}/record/").status_code == 302
