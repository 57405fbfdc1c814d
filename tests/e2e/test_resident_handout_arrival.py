"""The resident in the loop at the counter (issue 19), in a real browser.

The tax clerk registers a resident with a 和暦 birth date (S43.5.20, shown back in both eras)
and sends a sheet; prints the handout (つなぎ先のご案内) in Vietnamese from the sheet page; the
desk (consult1) records the arrival with the code on the handout; the clerk's 送ったシート shows
来所済 without reloading. Screenshots of the handout in ja, easy_ja and vi are kept.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import field, login, wait_live
from tests.servers import unique_kana

pytestmark = pytest.mark.e2e

LIVE_WITHIN_MS = 2000


def test_handout_in_vietnamese_then_arrival_shows_live(new_context, screenshot, check_a11y):
    clerk_context = new_context()
    clerk = login(clerk_context, "tax_clerk")
    expect(clerk).to_have_url(re.compile(r"/send/$"))
    clerk.get_by_label("氏(フリガナ)").fill(unique_kana("グエン"))
    clerk.get_by_label("名(フリガナ)").fill("ラン")
    clerk.get_by_label("生年月日").fill("S43.5.20")
    expect(clerk.locator("[data-birth-both]")).to_contain_text("1968年5月20日(昭和43年5月20日)")
    expect(clerk.get_by_role("radio", name="新しく登録する")).to_be_checked()
    field(clerk, "氏").fill("グエン")
    field(clerk, "名").fill("ラン")
    consent = clerk.get_by_role("group", name=re.compile("^情報を伝えてよい窓口"))
    consent.get_by_label("自立相談支援窓口").check()
    clerk.get_by_label("口頭同意(立会人あり)").check()
    field(clerk, "立会人の氏名").fill("収納 次郎")
    concerns = clerk.get_by_role("group", name=re.compile("^困りごと"))
    concerns.get_by_label("経済的困窮").check()
    clerk.get_by_role("radio", name="自立相談支援窓口").check()
    clerk.get_by_label("通常").check()
    clerk.get_by_label("同行した").check()
    clerk.get_by_label("本人の言葉(主訴)").fill("仕事がなくなり、家賃が払えない。")
    clerk.get_by_role("button", name="シートを送る").click()
    expect(clerk.get_by_role("status").filter(has_text="送りました")).to_be_visible()
    number = clerk.locator(".sheet-number").inner_text().strip()
    code = clerk.locator("#sheet-loop [data-arrival-code]").inner_text().strip()
    assert re.fullmatch(r"\d{2}-\d{4,}-\d", code), code
    check_a11y(clerk, "sheet (sender) with handout")

    # --- print the handout in Vietnamese (a new tab, as the print button opens it) ----------------
    clerk.get_by_label("案内の言語").select_option("vi")
    with clerk.expect_popup() as opened:
        clerk.get_by_role("button", name="つなぎ先のご案内を印刷").click()
    handout = opened.value
    handout.wait_for_load_state()
    expect(handout.locator("h1")).to_have_text("Hướng dẫn quầy tiếp theo")
    expect(handout.locator("[data-desk-name]")).to_contain_text("自立相談支援窓口")
    expect(handout.locator("[data-arrival-code]")).to_have_text(code)
    expect(handout.locator("body")).not_to_contain_text("家賃が払えない")
    expect(handout.locator("body")).not_to_contain_text("グエン")
    handout.emulate_media(media="print")
    expect(handout.get_by_role("button", name="In")).to_be_hidden()
    screenshot(handout, "handout-vi")
    check_a11y(handout, "handout (vi)")
    for lang in ("ja", "easy_ja"):
        handout.goto(f"{handout.url.split('?')[0]}?lang={lang}")
        expect(handout.locator("[data-arrival-code]")).to_have_text(code)
        screenshot(handout, f"handout-{lang}")
    expect(handout.locator("ruby").first).to_be_visible()
    handout.close()

    # --- the clerk watches 送ったシート; the desk records the arrival by the code -----------------
    clerk.get_by_role("link", name="送ったシート").first.click()
    wait_live(clerk)
    row = clerk.locator("#sheet-list tr", has_text=number)
    expect(row).to_be_visible()
    expect(row).not_to_contain_text("来所済")
    loads: list[str] = []
    clerk.on("framenavigated", lambda frame: loads.append(frame.url))

    desk = login(new_context(), "consult1")
    desk.locator("#sheet-list tr", has_text=number).get_by_role("link", name=number).click()
    desk.get_by_label(re.compile("来所コード")).last.fill("00-0000-0")
    desk.get_by_role("button", name="来所を記録する").click()
    expect(desk.locator(".messages, [role=alert]").first).to_contain_text("一致しません")
    desk.get_by_label(re.compile("本人が見せた来所コード")).fill(code.replace("-", " "))
    desk.get_by_role("button", name="来所を記録する").click()
    expect(desk.get_by_role("status").filter(has_text="来所を記録しました")).to_be_visible()
    expect(desk.locator("#sheet-loop [data-arrived]")).to_contain_text("来所済")
    expect(desk.locator("#sheet-timeline")).to_contain_text("来所")
    screenshot(desk, "sheet-desk-arrived")

    expect(row.locator("[data-arrived]")).to_have_text("来所済", timeout=LIVE_WITHIN_MS)
    assert loads == [], f"the sent list reloaded: {loads}"
    screenshot(clerk, "sent-list-arrived")
