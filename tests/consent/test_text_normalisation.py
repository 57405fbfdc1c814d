"""Issue 15, inputs 9 and 13: what a clerk types is stored in one canonical, plausible form,
on the API and on the pages alike (the rules live in referral_hub/api_input.py and
referral_hub/consent/kana.py).

* Names and narratives lose Unicode format and bidi controls ("\\u202e田山" is stored "田山").
* Birth dates lie between 1900-01-01 and today; a consent's valid_until at most the retention
  period (RETENTION_YEARS) ahead.
* Kana fields take kana only and store full-width katakana; phone numbers are stored as
  half-width digits and hyphens.
"""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from frontend.forms.send import ConsentForm, NewResidentForm, ResidentSearchForm
from referral_hub.consent.models import Consent, Resident

RLO = "\u202e"


def resident_body(**overrides):
    body = {
        "family_name": "山田",
        "given_name": "太郎",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
        "birth_date": "1970-04-01",
        "address": "デモ市本町1-2-3",
        "phone": "046-123-4567",
    }
    body.update(overrides)
    return body


def register(api, **overrides):
    return api("tax_clerk").post("/residents/", resident_body(**overrides))


def stored(reply) -> Resident:
    assert reply.status == 201, reply.body
    return Resident.objects.get(pk=reply.body["id"])


def query(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data[key] = value
    return data


# --- bidi and format controls ---------------------------------------------------------------------


def test_bidi_override_in_a_name_is_stripped_before_storing(demo, api):
    resident = stored(register(api, family_name=f"{RLO}田山", given_name="花\u200b子"))
    assert resident.family_name == "田山"
    assert resident.given_name == "花子"


def test_a_name_that_is_only_a_bidi_override_counts_as_empty(demo, api):
    reply = register(api, family_name=RLO)
    assert reply.status == 400
    assert Resident.objects.count() == 0


def test_consent_purpose_witness_and_withdrawal_reason_lose_bidi_controls(demo, api, resident):
    reply = api("tax_clerk").post(
        "/consents/",
        {
            "resident": resident.pk,
            "recipients": [demo.desk("jiritsu").pk],
            "categories": ["identity", "concern"],
            "purpose": f"相談{RLO}のため\n続き",
            "method": "verbal_witnessed",
            "witness": f"{RLO}収納 花子\u2066",
            "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert reply.status == 201, reply.body
    consent = Consent.objects.get(pk=reply.body["id"])
    assert consent.purpose == "相談のため\n続き"  # the line break stays
    assert consent.witness == "収納 花子"
    withdrawn = api("tax_clerk").post(
        f"/consents/{consent.pk}/withdraw/", {"reason": f"本人{RLO}希望"}
    )
    assert withdrawn.status == 200, withdrawn.body
    assert Consent.objects.get(pk=consent.pk).withdrawal_reason == "本人希望"


def test_page_forms_strip_bidi_controls_like_the_api(demo):
    form = NewResidentForm(query(family_name=f"{RLO}田山", given_name="花子"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["family_name"] == "田山"


# --- plausible dates -------------------------------------------------------------------------------


@pytest.mark.parametrize("birth_date", ["9999-12-31", "0001-01-01", "1899-12-31"])
def test_implausible_birth_dates_are_refused(demo, api, birth_date):
    reply = register(api, birth_date=birth_date)
    assert reply.status == 400
    assert "birth_date" in str(reply.body)
    assert Resident.objects.count() == 0


def test_birth_date_tomorrow_is_refused_and_1900_is_accepted(demo, api):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert register(api, birth_date=tomorrow).status == 400
    assert stored(register(api, birth_date="1900-01-01")).birth_date == datetime.date(1900, 1, 1)


def test_page_search_refuses_a_birth_date_in_year_9999(demo):
    form = ResidentSearchForm(query(family_name_kana="ヤマダ", birth_date="9999-12-31"))
    assert not form.is_valid()
    assert "birth_date" in form.errors


def consent_body(demo, resident, valid_until):
    return {
        "resident": resident.pk,
        "recipients": [demo.desk("jiritsu").pk],
        "categories": ["identity", "concern"],
        "purpose": "相談のため",
        "method": "verbal_witnessed",
        "witness": "収納 花子",
        "valid_until": valid_until,
    }


def test_a_consent_that_never_expires_is_refused(demo, api, resident):
    reply = api("tax_clerk").post("/consents/", consent_body(demo, resident, "9999-12-31"))
    assert reply.status == 400
    assert "valid_until" in str(reply.body)
    assert Consent.objects.count() == 0


def test_valid_until_may_reach_the_end_of_the_retention_period(demo, api, resident, settings):
    settings.RETENTION_YEARS = 5
    today = timezone.localdate()
    last = today.replace(
        year=today.year + 5, day=28 if (today.month, today.day) == (2, 29) else today.day
    )
    ok = api("tax_clerk").post("/consents/", consent_body(demo, resident, last.isoformat()))
    assert ok.status == 201, ok.body
    later = (last + datetime.timedelta(days=1)).isoformat()
    assert api("tax_clerk").post("/consents/", consent_body(demo, resident, later)).status == 400


def test_consent_page_form_refuses_valid_until_beyond_retention(demo):
    form = ConsentForm(query(valid_until="9999-12-31"))
    assert not form.is_valid()
    assert "valid_until" in form.errors


# --- kana and phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("kana", ["山田", "Yamada", "ヤマダ1"])
def test_kana_fields_refuse_kanji_latin_letters_and_digits(demo, api, kana):
    reply = register(api, family_name_kana=kana)
    assert reply.status == 400
    assert "family_name_kana" in str(reply.body)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ﾔﾏﾀﾞ", "ヤマダ"),
        ("やまだ", "ヤマダ"),
        ("ｽｽﾞｷｰ", "スズキー"),
        ("ヤマダ ノ", "ヤマダ\u3000ノ"),
    ],
)
def test_kana_is_stored_as_full_width_katakana(demo, api, typed, kept):
    assert stored(register(api, family_name_kana=typed)).family_name_kana == kept


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("０９０ー１２３４－５６７８", "090-1234-5678"),
        ("03(1234)5678", "03-1234-5678"),
        ("046 123 4567", "046-123-4567"),
    ],
)
def test_phone_is_stored_as_half_width_digits_and_hyphens(demo, api, typed, kept):
    assert stored(register(api, phone=typed)).phone == kept


def test_phone_with_letters_is_refused(demo, api):
    assert register(api, phone="電話なし").status == 400


def test_page_forms_apply_the_same_kana_and_phone_rules(demo):
    search = ResidentSearchForm(query(family_name_kana="ﾔﾏﾀﾞ", given_name_kana="たろう"))
    assert search.is_valid(), search.errors
    assert (search.cleaned_data["family_name_kana"], search.cleaned_data["given_name_kana"]) == (
        "ヤマダ",
        "タロウ",
    )
    assert not ResidentSearchForm(query(family_name_kana="山田")).is_valid()
    new = NewResidentForm(query(family_name="山田", phone="０９０ー１２３４－５６７８"))
    assert new.is_valid(), new.errors
    assert new.cleaned_data["phone"] == "090-1234-5678"
