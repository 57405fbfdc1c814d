"""The residents' rights desk in a real browser (issue 18): the privacy officer finds the
resident by kana and birth date, registers a disclosure request, prints the package (offices
and job titles, no login ids) and records the decision, then prints the decision notice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import field, login
from tests.servers import resident_with_consent, send_sheet, unique_kana

pytestmark = pytest.mark.e2e


def test_officer_registers_prints_the_package_and_decides(new_context, api, screenshot, check_a11y):
    kana = unique_kana("カイジ")
    known = resident_with_consent(
        api("tax_clerk"), kana, desks=["jiritsu"], categories=["identity", "concern"]
    )
    resident_id = known["resident"]["id"]
    sheet = send_sheet(api("tax_clerk"), resident_id, known["consent"]["id"])
    api("consult1").get(f"/api/v1/sheets/{sheet['id']}/")

    officer = login(new_context(), "privacy_officer")
    officer.goto("/rights/")
    check_a11y(officer, "rights register")
    find = officer.locator("#rights-find")
    find.locator("#id_find-kana").fill(f"{kana} イチロウ")
    find.locator("#id_find-birth_date").fill(known["birth"])
    find.get_by_role("button", name="検索").click()
    found = officer.locator("#rights-found")
    expect(found).to_contain_text("再来 一郎")
    found.get_by_role("link", name="この人の請求を受け付ける").click()

    form = officer.locator("#rights-new")
    expect(field(form, "内部管理番号")).to_have_value(str(resident_id))
    field(form, "請求の種類").select_option("disclosure")
    field(form, "本人確認書類").select_option("driving_licence")
    form.get_by_role("button", name="受け付ける").click()
    expect(officer.locator("#rights-due")).to_contain_text("令和")
    screenshot(officer, "rights-request")
    check_a11y(officer, "rights request")

    officer.locator("#rights-package").click()
    rows = officer.locator("#package-rows")
    expect(rows).to_contain_text("収納課")
    expect(rows).to_contain_text("窓口担当職員")
    expect(rows).to_contain_text("自立相談支援窓口")
    expect(rows).to_contain_text("相談支援員")
    expect(officer.locator("#package-resident")).to_contain_text("再来 一郎")
    expect(officer.locator("#package-proof")).to_contain_text("署名付きチェックポイント")
    body = officer.locator("body").inner_text()
    for hidden in ("tax_clerk", "consult1", "shuno", "jiritsu"):
        assert hidden not in body
    screenshot(officer, "rights-package")
    pdf = officer.pdf(format="A4")  # what the printer receives
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    officer.go_back()

    decide = officer.locator("#rights-decide")
    field(decide, "決定").select_option("disclose")
    decide.get_by_role("button", name="決定を記録").click()
    expect(officer.locator("#rights-decision")).to_contain_text("開示")
    officer.locator("#rights-letter").click()
    expect(officer.locator("#rights-letter-body")).to_contain_text("決定について(通知)")
    expect(officer.locator("#rights-letter-body")).to_contain_text("審査請求")
    screenshot(officer, "rights-letter")
