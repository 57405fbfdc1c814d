"""A resident who already gave consent comes back at another counter: one page load, one
submit. Files travel with the sheet, encrypted, and only the desk can open them."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import field, login
from tests.servers import resident_with_consent, unique_kana

pytestmark = pytest.mark.e2e

# Enough of a PDF for the vault's content sniffing (the bytes decide the type, not the name).
SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_returning_resident_sends_in_one_page_load_and_one_submit(
    new_context, api, screenshot, check_a11y
):
    known = resident_with_consent(
        api("tax_clerk"),
        unique_kana("サイライ"),
        desks=["jiritsu", "kakei"],
        categories=["identity", "concern", "attachments", "feedback"],
    )

    clerk = login(new_context(), "nhi_clerk")
    loads: list[str] = []
    clerk.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == clerk.main_frame else None,
    )
    started = time.monotonic()
    clerk.goto("/send/")

    clerk.get_by_label("氏(フリガナ)").fill(known["kana"])
    clerk.get_by_label("名(フリガナ)").fill("イチロウ")
    clerk.get_by_label("生年月日").fill(known["birth"])
    match = clerk.get_by_role("radio", name=re.compile(known["kana"]))
    expect(match).to_be_visible()
    expect(clerk.locator("#resident-matches")).to_contain_text("有効な同意 1件")
    match.check()
    consent = clerk.locator("#consent-options")
    expect(consent).to_contain_text("家計改善支援")
    expect(consent.get_by_role("radio").first).to_be_checked()
    # The new-consent fields stay hidden: nothing more to fill in.
    expect(field(clerk, "立会人の氏名")).to_be_hidden()

    clerk.get_by_role("group", name=re.compile("^困りごと")).get_by_label("債務").check()
    clerk.locator("#desk-guide").get_by_role("button", name="家計改善支援を選ぶ").click()
    clerk.get_by_label("本人の言葉(主訴)").fill("カードの返済が重なって苦しい")
    field(clerk, "添付するファイル(スキャン・写真)").set_input_files(
        files=[{"name": "督促状.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    screenshot(clerk, "send-returning-resident")
    check_a11y(clerk, "send (returning resident)")
    clerk.get_by_role("button", name="シートを送る").click()

    expect(clerk.get_by_role("status").filter(has_text="送りました")).to_contain_text(
        "家計改善支援"
    )
    elapsed = time.monotonic() - started
    assert len(loads) == 2, f"expected one page load and one submit, saw {loads}"
    assert elapsed < 120, f"sending took {elapsed:.0f} s"
    expect(clerk.locator("#attachments")).to_contain_text("送った書類は窓口だけが開けます")
    expect(clerk.locator("#sheet-timeline")).to_contain_text("家計改善支援")


def test_desk_opens_the_attachment(new_context, api):
    tax = api("tax_clerk")
    known = resident_with_consent(
        tax,
        unique_kana("テンプ"),
        desks=["jiritsu"],
        categories=["identity", "concern", "attachments"],
    )
    clerk = login(new_context(), "tax_clerk")
    clerk.goto("/send/")
    clerk.get_by_label("氏(フリガナ)").fill(known["kana"])
    clerk.get_by_label("名(フリガナ)").fill("イチロウ")  # the full name relates the counter
    clerk.get_by_label("生年月日").fill(known["birth"])
    clerk.get_by_role("radio", name=re.compile(known["kana"])).check()
    expect(clerk.locator("#consent-options").get_by_role("radio").first).to_be_checked()
    clerk.get_by_role("group", name=re.compile("^困りごと")).get_by_label("家計管理").check()
    clerk.get_by_role("radio", name="自立相談支援窓口", exact=True).check()
    clerk.get_by_label("状況").fill("家計の相談")
    field(clerk, "添付するファイル(スキャン・写真)").set_input_files(
        files=[{"name": "家計表.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    clerk.get_by_role("button", name="シートを送る").click()
    expect(clerk.get_by_role("status").filter(has_text="送りました")).to_be_visible()
    sheet_url = clerk.url

    desk = login(new_context(), "consult1")
    desk.goto(sheet_url)
    link = desk.locator("#attachments").get_by_role("link", name="家計表.pdf")
    with desk.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as saved:
        assert saved.read() == SCAN
