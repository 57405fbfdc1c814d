"""支援会議 end to end (issue 17 acceptance): a lead convenes a meeting, two members sign the
confidentiality pledge, a case is added, a sheet is sent without consent on the meeting's
basis, and the privacy officer sees the disclosure in the review queue with the meeting named."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import field, login
from tests.servers import unique_kana

pytestmark = pytest.mark.e2e


def test_lead_convenes_members_pledge_case_added_sheet_sent_and_reviewed(
    new_context, api, screenshot, check_a11y
):
    kana, birth = unique_kana("カイギ"), "1968-08-08"
    resident = api("tax_clerk").post(
        "/api/v1/residents/",
        {
            "family_name": "会議",
            "given_name": "一郎",
            "family_name_kana": kana,
            "given_name_kana": "イチロウ",
            "birth_date": birth,
        },
    )
    meeting_name = f"第1回 支援会議 {kana}"

    # The lead convenes the meeting with 収納課 and 自立相談支援窓口.
    lead = login(new_context(), "consult_lead")
    lead.goto("/meetings/")
    field(lead, "根拠法").select_option("art9_jiritsu")
    field(lead, "会議名").fill(meeting_name)
    field(lead, "開催日").fill("2026-11-30")
    members = lead.get_by_role("group", name=re.compile("^構成員"))
    members.get_by_label(re.compile("収納 太郎")).check()
    members.get_by_label(re.compile("相談 一美")).check()
    check_a11y(lead, "meetings (convene)")
    lead.get_by_role("button", name="招集する").click()
    expect(lead.locator(".messages")).to_contain_text("支援会議を招集しました")
    meeting_url = lead.url
    assert re.search(r"/meetings/\d+/$", meeting_url)

    # Two members sign the pledge; one of them puts the resident on the agenda.
    clerk = login(new_context(), "tax_clerk")
    clerk.goto(meeting_url)
    expect(clerk.locator("#agenda").locator("..")).to_contain_text("誓約した構成員だけ")
    check_a11y(clerk, "meeting (before pledge)")
    clerk.get_by_role("button", name="上の内容を守ることを誓約する").click()
    expect(clerk.locator(".messages")).to_contain_text("誓約を記録しました")
    field(clerk, "住民番号").fill(str(resident["id"]))
    field(clerk, "検討する理由").fill("長期のひきこもり。世帯の収入が途絶えている。")
    clerk.get_by_role("button", name="追加する").click()
    expect(clerk.locator(".messages")).to_contain_text("検討事例に追加しました")
    expect(clerk.get_by_role("region", name="検討事例")).to_contain_text("会議 一郎")
    screenshot(clerk, "meeting-agenda")

    desk = login(new_context(), "consult1")
    desk.goto(meeting_url)
    desk.get_by_role("button", name="上の内容を守ることを誓約する").click()
    roster = desk.get_by_role("region", name="構成員")
    expect(roster.locator("tr", has_text="(consult1)")).to_contain_text("誓約済")
    expect(roster.locator("tr", has_text="(tax_clerk)")).to_contain_text("誓約済")
    expect(desk.get_by_role("region", name="検討事例")).to_contain_text("長期のひきこもり")

    # The clerk sends the sheet without consent, on the meeting's basis.
    clerk.goto("/send/")
    clerk.get_by_label("氏(フリガナ)").fill(kana)
    clerk.get_by_label("名(フリガナ)").fill("イチロウ")
    clerk.get_by_label("生年月日").fill(birth)
    clerk.get_by_role("radio", name=re.compile(kana)).check()
    clerk.get_by_role("radio", name="同意が得られない(支援会議・緊急)").check()
    meeting_choice = clerk.get_by_label("支援会議(支援会議を根拠にするとき)")
    expect(meeting_choice).to_be_visible()
    expect(meeting_choice.locator("option")).to_contain_text(meeting_name)
    clerk.get_by_role("radio", name="支援会議(法第9条)").check()
    field(clerk, "理由").fill("支援会議で支援方針を共有した。本人は同意の場に来られない。")
    clerk.get_by_role("group", name=re.compile("^困りごと")).get_by_label("家計管理").check()
    clerk.get_by_role("radio", name="自立相談支援窓口", exact=True).check()
    clerk.get_by_label("状況").fill("ひきこもりの世帯。訪問での支援が必要。")
    check_a11y(clerk, "send (support meeting)")
    clerk.get_by_role("button", name="シートを送る").click()
    expect(clerk.get_by_role("status").filter(has_text="送りました")).to_be_visible()

    # The desk reads it (a member who pledged); the privacy officer reviews both disclosures.
    desk.goto(clerk.url)
    expect(desk.locator("body")).to_contain_text("ひきこもりの世帯")
    officer = login(new_context(), "privacy_officer")
    officer.goto("/audit/reviews/?status=pending")
    reviewed = officer.get_by_role("region").filter(has_text=meeting_name)
    expect(reviewed.first).to_be_visible()
    expect(reviewed.filter(has_text="シート送付")).to_have_count(1)
    expect(reviewed.first.locator(".review-meeting")).to_contain_text("生活困窮者自立支援法 第9条")
    check_a11y(officer, "reviews (support meeting)")
    screenshot(officer, "reviews-support-meeting")

    # The printable record lists members, pledges, the agenda and the disclosure.
    clerk.goto(meeting_url + "record/")
    record = clerk.locator("article.meeting-record")
    expect(record).to_contain_text("会議 一郎")
    expect(record).to_contain_text("誓約文の版")
    expect(record.locator("tbody tr")).not_to_have_count(0)
