"""The htmx fragments that help the clerk: duplicate suggestions with the resident's consents,
the "which desk?" guide and the consent text."""

from __future__ import annotations

import datetime

from referral_hub.audit.models import AuditEvent
from tests.fixtures_sheets import make_consent, make_resident

from .conftest import text


def test_kana_and_birth_date_suggest_the_returning_resident_and_their_consent(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_kana="ヤマダ", given_kana="タロウ")
    make_consent(clerk, resident, ["jiritsu", "kakei"])
    response = browser_as("housing_clerk").get(
        "/send/residents/",
        {
            "family_name_kana": "やまだ",  # hiragana typed at another counter still matches
            "given_name_kana": "たろう",
            "birth_date": resident.birth_date.isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    page = text(response)
    assert f'value="{resident.pk}"' in page
    assert "有効な同意 1件" in page
    assert 'id="consent-options" hx-swap-oob="true"' in page
    assert AuditEvent.objects.filter(action="resident.search").exists()


def test_choosing_the_resident_offers_their_active_consent_first(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu", "kakei"])
    page = text(browser_as("tax_clerk").get("/send/consents/", {"resident": resident.pk}))
    assert f'value="{consent.pk}" checked' in page
    assert "家計改善支援" in page


def test_privacy_officer_cannot_search_residents(demo, browser_as):
    page = text(
        browser_as("privacy_officer").get(
            "/send/residents/", {"family_name_kana": "ヤマダ", "birth_date": "1960-01-02"}
        )
    )
    assert "この役割ではこの操作はできません。" in page
    assert 'name="resident"' not in page


def test_guide_points_debt_to_household_budget_support_and_many_problems_to_jiritsu(
    demo, browser_as
):
    jiritsu = demo.desk("jiritsu")
    debt = jiritsu.concerns.get(code="debt")
    clerk = browser_as("tax_clerk")
    one = text(clerk.get("/send/guide/", {"concerns": [debt.pk]}))
    assert one.index("家計改善支援") < one.index("自立相談支援窓口")
    several = [c.pk for c in jiritsu.concerns.filter(code__in=["debt", "isolation", "no_food"])]
    many = text(clerk.get("/send/guide/", {"concerns": several}))
    assert many.index("自立相談支援窓口") < many.index("地域包括支援センター")
    assert "緊急性の高い困りごとがあります" in many


def test_consent_text_lists_the_chosen_desks_in_plain_words(demo, browser_as):
    page = text(
        browser_as("tax_clerk").get(
            "/send/consent-text/print/",
            {
                "recipients": [demo.desk("kakei").pk],
                "categories": ["identity", "tax"],
                "valid_until": "2027-03-31",
            },
        )
    )
    assert "家計改善支援" in page
    assert "税金や保険料の滞納のこと" in page
    assert "2027年3月31日まで" in page
    assert "ご本人の署名" in page


def test_half_typed_kana_without_a_birth_date_is_not_searched(demo, browser_as):
    page = text(browser_as("tax_clerk").get("/send/residents/", {"family_name_kana": "ヤマ"}))
    # Issue 19: nothing is searched, but a resident without a birth date can be registered.
    assert "生年月日を入れると登録済みの方を探せます。" in page
    assert 'id="resident-new" value="new" checked' in page
    assert not AuditEvent.objects.filter(action="resident.search").exists()


def test_candidate_cards_show_the_registering_place_and_keep_ono_apart_from_ohno(demo, browser_as):
    # Issue 16, input 5: オーノ ユーコ is 大野 (オオノ), not 小野 (オノ), on the send page too.
    born = datetime.date(1990, 7, 7)
    ohno = make_resident(
        demo.user("nhi_clerk"), family_kana="オオノ", given_kana="ユウコ", birth_date=born
    )
    ono = make_resident(
        demo.user("tax_clerk"), family_kana="オノ", given_kana="ユウコ", birth_date=born
    )
    response = browser_as("housing_clerk").get(
        "/send/residents/",
        {"family_name_kana": "オーノ", "given_name_kana": "ユーコ", "birth_date": born.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    page = text(response)
    assert f'value="{ohno.pk}"' in page
    assert f'value="{ono.pk}"' not in page
    assert "国保年金課で登録" in page
    assert "収納課で登録" not in page
