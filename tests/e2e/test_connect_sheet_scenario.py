"""The acceptance scenario of issue 7, as new users would play it in a real browser.

The tax clerk registers a resident, records verbal consent and sends an urgent sheet to
自立相談支援窓口 on one page; consult1, in a second browser, sees it arrive without reloading;
acknowledges, accepts, is refused a redirect outside the consent (with the Japanese reason on
screen), redirects to 生活保護担当 (inside the consent); the clerk watches the status change live;
the privacy officer finds both desks' reads in the resident's disclosure report.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import field, login, wait_live
from tests.servers import unique_kana

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2000


def test_clerk_to_desk_to_privacy_officer(new_context, screenshot, check_a11y):
    consult = login(new_context(), "consult1")
    expect(consult).to_have_url(re.compile(r"/inbox/$"))
    wait_live(consult)
    screenshot(consult, "inbox-before")
    check_a11y(consult, "inbox")
    consult_loads: list[str] = []
    consult.on("framenavigated", lambda frame: consult_loads.append(frame.url))

    # --- the tax clerk, with the resident at the counter ----------------------------------------
    clerk = login(new_context(), "tax_clerk")
    expect(clerk).to_have_url(re.compile(r"/send/$"))
    expect(clerk.get_by_role("heading", name="つなぐシートを作る", level=1)).to_be_visible()
    check_a11y(clerk, "send (empty)")
    kana = unique_kana()
    clerk.get_by_label("氏(フリガナ)").fill(kana)
    clerk.get_by_label("名(フリガナ)").fill("ハナコ")
    clerk.get_by_label("生年月日").fill("1968-05-20")
    expect(clerk.get_by_role("radio", name="新しく登録する")).to_be_checked()
    field(clerk, "氏").fill("試験")
    field(clerk, "名").fill("花子")
    clerk.get_by_label("住所").fill("デモ市中央1-1")
    clerk.get_by_label("電話番号").fill("090-1111-2222")

    expect(clerk.get_by_role("radio", name="新しく同意を記録する")).to_be_checked()
    consent = clerk.get_by_role("group", name=re.compile("^情報を伝えてよい窓口"))
    consent.get_by_label("自立相談支援窓口").check()
    consent.get_by_label("生活保護担当").check()
    clerk.get_by_label("口頭同意(立会人あり)").check()
    field(clerk, "立会人の氏名").fill("収納 次郎")
    expect(clerk.locator("#consent-text")).to_contain_text("生活保護担当")

    concerns = clerk.get_by_role("group", name=re.compile("^困りごと"))
    concerns.get_by_label("税・保険料の滞納").check()
    concerns.get_by_label("経済的困窮").check()
    guide = clerk.locator("#desk-guide")
    expect(guide).to_contain_text("相談チャート")
    guide.get_by_role("button", name="自立相談支援窓口を選ぶ").click()
    expect(clerk.get_by_role("radio", name="自立相談支援窓口")).to_be_checked()
    clerk.get_by_label("緊急(今日中に対応)").check()
    clerk.get_by_label("電話でつないだ").check()
    clerk.get_by_label("本人の言葉(主訴)").fill("差押えで家賃が払えない。電気も止まりそう。")
    screenshot(clerk, "send-filled")
    check_a11y(clerk, "send (filled)")

    clerk.get_by_role("button", name="シートを送る").click()
    sent_at = time.monotonic()
    notice = clerk.get_by_role("status").filter(has_text="送りました")
    expect(notice).to_contain_text("自立相談支援窓口")
    number = clerk.locator(".sheet-number").inner_text().strip()

    # --- consult1 sees it arrive without reloading ----------------------------------------------
    row = consult.locator("#sheet-list tr", has_text=number)
    expect(row).to_be_visible(timeout=LIVE_WITHIN_MS)
    arrived_ms = (time.monotonic() - sent_at) * 1000
    assert arrived_ms < LIVE_WITHIN_MS, f"sheet appeared after {arrived_ms:.0f} ms"
    assert consult_loads == [], f"the inbox reloaded: {consult_loads}"
    expect(row).to_contain_text("緊急")
    expect(row).to_contain_text("新着")
    screenshot(consult, "inbox-new-sheet")

    # The clerk watches from 送ったシート.
    clerk.get_by_role("link", name="送ったシート").first.click()
    wait_live(clerk)
    clerk_row = clerk.locator("#sheet-list tr", has_text=number)
    expect(clerk_row).to_contain_text("送信済")
    check_a11y(clerk, "sent list")

    # --- consult1 works the sheet -----------------------------------------------------------------
    row.get_by_role("link", name=number).click()
    expect(consult.get_by_role("heading", level=1)).to_contain_text(number)
    expect(consult.locator(".resident-name")).to_contain_text("試験 花子")
    expect(consult.locator(".resident-words")).to_contain_text("差押え")
    screenshot(consult, "sheet-desk-view")
    check_a11y(consult, "sheet (desk)")

    consult.get_by_role("button", name="受付", exact=True).click()
    expect(consult.locator("#sheet-status")).to_have_text("受付済")
    expect(clerk_row).to_contain_text("受付済", timeout=LIVE_WITHIN_MS)

    consult.get_by_role("button", name="担当する").click()
    expect(consult.locator("#sheet-status")).to_have_text("担当決定")
    expect(clerk_row).to_contain_text("担当決定", timeout=LIVE_WITHIN_MS)

    # A desk the consent does not cover is not offered: shown disabled, with the gate's reason.
    consult.get_by_role("button", name="転送", exact=True).click()
    dialog = consult.get_by_role("dialog", name="転送")
    outside = field(dialog, "転送先の窓口").locator("option", has_text="家計改善支援")
    expect(outside).to_have_text("家計改善支援(社会福祉協議会)(同意の対象外)")
    expect(outside).to_be_disabled()
    screenshot(consult, "redirect-dialog")
    check_a11y(consult, "redirect dialog")

    # A desk the consent covers: the sheet moves, with its story, to 生活保護担当.
    field(dialog, "転送先の窓口").select_option(label="生活保護担当")
    field(dialog, "転送の理由").fill("生活保護の相談が必要なため")
    dialog.get_by_role("button", name="転送する").click()
    expect(consult).to_have_url(re.compile(r"/inbox/$"))
    expect(consult.get_by_role("status").filter(has_text="転送しました")).to_be_visible()
    expect(consult.locator("#sheet-list")).not_to_contain_text(number)

    expect(clerk_row).to_contain_text("生活保護担当", timeout=LIVE_WITHIN_MS)
    expect(clerk_row).to_contain_text("送信済")
    expect(clerk_row).to_contain_text("転送1回")
    screenshot(clerk, "sent-list-live")

    # The clerk's feedback view of the sheet.
    clerk_row.get_by_role("link", name=number).click()
    expect(clerk.locator("#sheet-timeline")).to_contain_text("転送")
    screenshot(clerk, "sheet-sender-view")
    check_a11y(clerk, "sheet (sender)")

    # --- 生活保護担当 opens the redirected sheet: the story travelled with it ----------------------
    hogo = login(new_context(), "hogo_staff")
    hogo.locator("#sheet-list tr", has_text=number).get_by_role("link", name=number).click()
    expect(hogo.locator(".resident-words")).to_contain_text("差押え")
    expect(hogo.locator("#sheet-timeline")).to_contain_text("自立相談支援窓口 → 生活保護担当")

    # --- the privacy officer answers "who saw my data?" -------------------------------------------
    officer = login(new_context(), "privacy_officer")
    expect(officer).to_have_url(re.compile(r"/audit/"))
    officer.get_by_label("またはシート番号").fill(number)
    officer.get_by_role("button", name="記録を表示").click()
    report = officer.locator("table.disclosure-report")
    reads = report.locator("tr[data-action='sheet.read']")
    expect(reads.filter(has_text="相談 一美").first).to_contain_text("自立相談支援窓口")
    expect(reads.filter(has_text="保護 健").first).to_contain_text("生活保護担当")
    expect(report.locator("tr[data-action='sheet.send']")).to_contain_text("収納課")
    expect(report.locator("tr[data-action='sheet.redirect']")).to_contain_text("生活保護担当")
    screenshot(officer, "privacy-disclosure-report")
    check_a11y(officer, "disclosure report")
