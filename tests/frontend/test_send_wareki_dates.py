"""和暦 on the send page (issue 19): clerks type S55.4.1 or 昭和55年4月1日, see both eras, get a
clear message for an impossible era date, and can register a resident without a birth date."""

from __future__ import annotations

import datetime

from referral_hub.consent.models import Resident
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api
from tests.frontend.test_send_sheet_page import _form

from .conftest import text


def _matches(client, **params):
    return text(client.get("/send/residents/", params, HTTP_HX_REQUEST="true"))


def test_wareki_birth_date_searches_and_is_shown_in_both_eras(demo, browser_as):
    page = _matches(
        browser_as("tax_clerk"),
        family_name_kana="ワレキ",
        given_name_kana="タロウ",
        birth_date="S55.4.1",
    )
    assert "1980年4月1日(昭和55年4月1日)" in page
    assert 'id="resident-new" value="new"' in page


def test_impossible_era_date_says_why(demo, browser_as):
    page = _matches(browser_as("tax_clerk"), family_name_kana="ワレキ", birth_date="昭和65年1月1日")
    assert "昭和65年1月1日はありません" in page
    assert "昭和64年(1989年)1月7日までです" in page


def test_kana_without_birth_date_offers_new_registration(demo, browser_as):
    page = _matches(browser_as("tax_clerk"), family_name_kana="ナナシ", given_name_kana="ハナコ")
    assert "生年月日がないため、登録済みの方は探せません" in page
    assert 'id="resident-new" value="new" checked' in page


def test_a_resident_without_birth_date_is_registered_and_the_sheet_sent(demo, browser_as):
    response = browser_as("tax_clerk").post("/send/", _form(demo, birth_date=""))
    assert response.status_code == 302, text(response)[:2000]
    assert Resident.objects.get().birth_date is None
    assert ConnectSheet.objects.count() == 1


def test_wareki_dates_on_the_send_form(demo, browser_as):
    response = browser_as("tax_clerk").post(
        "/send/", _form(demo, birth_date="平成元年1月8日", valid_until="")
    )
    # valid_until is required: the form comes back, but the era date itself was accepted.
    assert response.status_code == 400
    assert "平成元年1月8日" in text(response)
    response = browser_as("tax_clerk").post("/send/", _form(demo, birth_date="H1.1.8"))
    assert response.status_code == 302
    assert Resident.objects.get().birth_date == datetime.date(1989, 1, 8)


def test_api_accepts_wareki_and_refuses_impossible_era_dates(demo):
    client = Api(demo.user("tax_clerk"))
    ok = client.post(
        "/residents/",
        {"family_name": "和暦", "family_name_kana": "ワレキ", "birth_date": "令和元年5月1日"},
    )
    assert ok.status == 201 and ok.body["birth_date"] == "2019-05-01"
    bad = client.post(
        "/residents/",
        {"family_name": "和暦", "family_name_kana": "ワレキ", "birth_date": "平成31年5月1日"},
    )
    assert bad.status == 400
    assert "平成31年(2019年)4月30日までです" in str(bad.body)
