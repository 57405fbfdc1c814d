"""No drop, in the browser (issue 20): consult1 records two unanswered calls and a visit; a
month later the sweep flags the sheet stalled and the lead sees it on the 主任ボード; the close
dialog explains in Japanese what an 「連絡がとれない」 close still needs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.servers import resident_with_consent, send_sheet, unique_kana

pytestmark = pytest.mark.e2e

SWEEP_A_MONTH_LATER = (
    "import datetime; from django.utils import timezone; "
    "from referral_hub.handoffs.periodic import sweep_escalations; "
    "print(sweep_escalations(timezone.now() + datetime.timedelta(days=31)))"
)


def _record(page, channel: str, result: str) -> None:
    page.get_by_role("button", name="連絡を記録").click()
    dialog = page.locator("#dlg-contact_attempt")
    dialog.get_by_label("方法").select_option(label=channel)
    dialog.get_by_label("結果").select_option(label=result)
    dialog.get_by_role("button", name="記録する").click()
    expect(page.get_by_role("status").filter(has_text="連絡の記録を追加しました")).to_be_visible()


def test_attempts_stall_escalate_and_the_close_dialog_explains(
    new_context, api, e2e_manage, screenshot
):
    tax = api("tax_clerk")
    known = resident_with_consent(
        tax, unique_kana("ムドロ"), desks=["jiritsu"], categories=["identity", "concern"]
    )
    sheet = send_sheet(tax, known["resident"]["id"], known["consent"]["id"])
    lead_api = api("consult_lead")
    lead_api.post(f"/api/v1/sheets/{sheet['id']}/acknowledge/", {})
    consult1_id = api("consult1").get("/api/v1/me/")["id"]
    lead_api.post(f"/api/v1/sheets/{sheet['id']}/accept/", {"handler": consult1_id})

    desk = login(new_context(), "consult1")
    desk.goto(f"/sheets/{sheet['id']}/")
    _record(desk, "電話", "応答なし")
    _record(desk, "電話", "応答なし")
    _record(desk, "訪問", "応答なし")
    timeline = desk.locator("#sheet-timeline")
    expect(timeline.locator(".event-contact_attempt")).to_have_count(3)

    e2e_manage("shell", "-c", SWEEP_A_MONTH_LATER)

    lead = login(new_context(), "consult_lead")
    lead.goto("/lead/")
    stalled = lead.locator(
        "section", has=lead.get_by_role("heading", name="30日以上連絡の試みがないシート")
    )
    expect(stalled).to_contain_text(sheet["number"])
    screenshot(lead, "lead-board-stalled")

    desk.goto(f"/sheets/{sheet['id']}/")
    desk.get_by_role("button", name="終結").click()
    dialog = desk.locator("#dlg-close")
    dialog.get_by_label("結果").select_option("unreachable")
    dialog.get_by_role("button", name="終結する").click()
    dialog = desk.locator("#dlg-close")
    expect(dialog.get_by_role("alert")).to_contain_text("別の日の試みがあと1日分")
    expect(dialog.get_by_role("alert")).to_contain_text("主任相談支援員の承認")
    screenshot(desk, "close-dialog-attempts-required")
