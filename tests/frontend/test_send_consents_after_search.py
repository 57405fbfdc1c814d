"""At another counter, a clerk who found the resident by full kana name and birth date is
offered the resident's active consent (the e2e returning-resident scenario, without a browser)."""

from __future__ import annotations

from tests.fixtures_sheets import make_consent, make_resident

from .conftest import text


def test_another_counter_is_offered_the_consent_after_a_full_name_search(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_kana="ヤマダ", given_kana="タロウ")
    consent = make_consent(clerk, resident, ["jiritsu", "kakei"])
    other = browser_as("nhi_clerk")
    found = other.get(
        "/send/residents/",
        {
            "family_name_kana": "ヤマダ",
            "given_name_kana": "タロウ",
            "birth_date": resident.birth_date.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert f'value="{resident.pk}"' in text(found)

    page = text(other.get("/send/consents/", {"resident": resident.pk}))

    assert f'value="{consent.pk}" checked' in page, page
    assert "家計改善支援" in page
