"""Every page, as each role sees it: no serious or critical axe-core violation, no CSP or
script error, usable at 1366×768 and at tablet width, and a screenshot for the record."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.servers import resident_with_consent, send_sheet, unique_kana

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="module")
def sheets(api):
    """One sheet on consent and one sent under the support meeting (Art. 9), for review."""
    tax = api("tax_clerk")
    known = resident_with_consent(
        tax, unique_kana("ゼンガメン"), desks=["jiritsu"], categories=["identity", "concern"]
    )
    on_consent = send_sheet(tax, known["resident"]["id"], known["consent"]["id"], urgency="soon")
    # Issue 17: the support-meeting basis names a meeting where both sides pledged.
    meeting = api("consult_lead").post(
        "/api/v1/support-meetings/",
        {
            "law": "art9_jiritsu",
            "name": "第3回 支援会議",
            "held_on": datetime.date.today().isoformat(),
            "members": [tax.get("/api/v1/me/")["id"], api("consult1").get("/api/v1/me/")["id"]],
        },
    )
    tax.post(f"/api/v1/support-meetings/{meeting['id']}/pledge/", {})
    api("consult1").post(f"/api/v1/support-meetings/{meeting['id']}/pledge/", {})
    tax.post(
        f"/api/v1/support-meetings/{meeting['id']}/cases/",
        {"resident": known["resident"]["id"], "reason": "支援方針の共有"},
    )
    art9 = tax.post(
        "/api/v1/sheets/",
        {
            "resident": known["resident"]["id"],
            "to_desk": "jiritsu",
            "concerns": ["tax_arrears"],
            "summary": "支援会議で共有済みの世帯",
            "urgency": "normal",
            "legal_basis": "support_meeting",
            "justification": "支援会議(第3回)で支援方針を共有したため",
            "handoff_method": "sheet_only",
            "support_meeting": meeting["id"],
        },
    )
    return {
        "consent": on_consent,
        "art9": art9,
        "resident": known["resident"]["id"],
        "consent_record": known["consent"]["id"],
    }


def pages_by_role(sheets) -> dict[str, list[tuple[str, str]]]:
    sheet = sheets["consent"]["id"]
    resident = sheets["resident"]
    return {
        "tax_clerk": [
            ("clerk-send", "/send/"),
            ("clerk-sent-list", "/sent/"),
            ("clerk-sheet-feedback", f"/sheets/{sheet}/"),
            (
                "clerk-consent-print",
                "/send/consent-text/print/?recipients=1&recipients=2&categories=identity"
                "&categories=concern&purpose=相談のため&valid_until=2027-03-31",
            ),
        ],
        "consult1": [
            ("desk-inbox", "/inbox/"),
            ("desk-inbox-filtered", "/inbox/?urgency=soon"),
            ("desk-sheet", f"/sheets/{sheet}/"),
        ],
        "hogo_staff": [("desk-refused-sheet", f"/sheets/{sheet}/")],
        "consult_lead": [("lead-board", "/lead/"), ("meetings", "/meetings/")],
        "privacy_officer": [
            ("privacy-disclosures", f"/audit/?resident={resident}"),
            ("privacy-search", f"/audit/search/?resident={resident}"),
            ("privacy-reviews", "/audit/reviews/"),
            ("privacy-integrity", "/audit/integrity/"),
            ("privacy-anomalies", "/audit/anomalies/"),
            ("privacy-consent", f"/audit/consents/{sheets['consent_record']}/"),
        ],
    }


def test_login_page(new_context, screenshot, check_a11y):
    page = new_context().new_page()
    page.goto("/login/")
    check_a11y(page, "login")
    screenshot(page, "login")
    page.get_by_label("ユーザー名").fill("tax_clerk")
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "ユーザー名またはパスワードが正しくありません"
    )
    check_a11y(page, "login (error)")


@pytest.mark.parametrize("viewport", ["desktop", "tablet"])
def test_every_page_is_accessible(new_context, sheets, screenshot, check_a11y, viewport):
    size = TABLET if viewport == "tablet" else None
    for username, pages in pages_by_role(sheets).items():
        page = login(new_context(size), username)
        for name, path in pages:
            page.goto(path)
            expect(page.locator("main h1")).to_be_visible()
            if viewport == "desktop":
                check_a11y(page, name)

            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at {viewport} width"
            screenshot(page, f"{name}-{viewport}" if viewport == "tablet" else name)


def test_send_form_errors_are_next_to_fields_and_summarised(new_context, check_a11y, screenshot):
    page = login(new_context(), "tax_clerk")
    page.get_by_role("button", name="シートを送る").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        "本人: 候補から本人を選ぶか「新しく登録する」を選んでください。"
    )
    expect(summary).to_contain_text("困りごと: 困りごとを1つ以上選んでください。")
    expect(page.locator("#field-concerns .field-error")).to_have_text(
        re.compile("困りごとを1つ以上選んでください")
    )
    summary.get_by_role("link", name=re.compile("^困りごと")).click()
    expect(page.locator("#id_concerns_0")).to_be_focused()
    check_a11y(page, "send (errors)")
    screenshot(page, "clerk-send-errors")


def test_dialogs_work_from_the_keyboard(new_context, sheets):
    page = login(new_context(), "consult1")
    page.goto(f"/sheets/{sheets['art9']['id']}/")
    opener = page.get_by_role("button", name="差戻し")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=re.compile("^差戻し"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label(re.compile("^理由"))).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_be_visible()


def test_lead_assigns_a_handler_and_sees_the_workload(new_context, api, screenshot, check_a11y):
    tax = api("tax_clerk")
    known = resident_with_consent(
        tax, unique_kana("シュニン"), desks=["jiritsu"], categories=["identity", "concern"]
    )
    sheet = send_sheet(tax, known["resident"]["id"], known["consent"]["id"], urgency="urgent")
    lead = login(new_context(), "consult_lead")
    lead.goto("/lead/")
    unassigned = lead.get_by_role("region", name=re.compile("担当者が決まっていないシート"))
    row = unassigned.locator("tr", has_text=sheet["number"])
    row.get_by_label(re.compile("の担当者$")).select_option(label="相談 二郎")
    row.get_by_role("button", name="割り当てる").click()
    expect(lead.locator(".messages")).to_contain_text(
        f"{sheet['number']} の担当者を 相談 二郎 さんにしました"
    )
    workload = lead.get_by_role("region", name=re.compile("職員ごとの担当件数"))
    expect(workload.locator("tr", has_text="相談 二郎")).to_contain_text("1")
    check_a11y(lead, "lead board (after assignment)")
    screenshot(lead, "lead-board-assigned")


def test_privacy_officer_approves_a_support_meeting_disclosure(new_context, sheets, check_a11y):
    desk = login(new_context(), "consult1")
    desk.goto(f"/sheets/{sheets['art9']['id']}/")  # a read on the Art. 9 basis: reviewed
    officer = login(new_context(), "privacy_officer")
    officer.goto("/audit/reviews/")
    review = officer.get_by_role("region").filter(has_text="支援会議").first
    expect(review).to_be_visible()
    review.get_by_label("問題を指摘する").check()
    review.get_by_role("button", name="保存").click()
    expect(officer.locator("#error-summary")).to_contain_text("何が問題かをメモに書いてください")
    check_a11y(officer, "reviews (error)")
    review = officer.get_by_role("region").filter(has_text="支援会議").first
    review.get_by_label("承認する").check()
    review.get_by_role("button", name="保存").click()
    expect(officer.locator(".messages")).to_contain_text("確認を保存しました")


def test_privacy_officer_follows_a_disclosure_to_the_consent_it_relied_on(new_context, sheets):
    officer = login(new_context(), "privacy_officer")
    officer.goto(f"/audit/?resident={sheets['resident']}")
    send = officer.locator('tr[data-action="sheet.send"]').first
    send.get_by_role("link", name=f"同意 #{sheets['consent_record']}").click()
    expect(officer).to_have_url(re.compile(rf"/audit/consents/{sheets['consent_record']}/$"))
    expect(officer.locator("#consent-status")).to_have_attribute("data-status", "active")
    expect(officer.locator("#consent-recipients")).to_contain_text("自立相談支援窓口")
    expect(officer.locator("#consent-evidence")).to_contain_text("口頭同意のため")


def test_english_switch(new_context):
    page = login(new_context(), "consult1")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(
        page.get_by_role("navigation").get_by_role("link", name=re.compile("^Inbox"))
    ).to_be_visible()
    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
