"""つなぎ先のご案内 (issue 19): the handout names the desk and the arrival code in every
language, carries no case content, and falls back to やさしい日本語."""

from __future__ import annotations

import re
import zlib

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.arrival_codes import arrival_code, luhn_digit, normalise_code
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.resident_texts import Words
from referral_hub.resident_texts.languages import RESIDENT_LANGUAGES
from tests.fixtures_sheets import ALL_CATEGORIES, make_consent, send_ok

CASE_TEXTS = {
    "summary": "市税の滞納で差押えを受け、家賃も払えなくなっている。",
    "resident_words": "もうどうしたらいいかわからない",
    "details": {"tax": "固定資産税48万円滞納", "health": "うつ病で通院中", "household": "夫と別居"},
    "contact_preference": "平日の午前中に携帯へ",
}


@pytest.fixture
def sheet_id(demo, api, resident):
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"], list(ALL_CATEGORIES))
    return send_ok(api("tax_clerk"), resident, consent, **CASE_TEXTS)


def _handout(api, user, sheet_id, **params):
    response = api(user).client.get(f"/api/v1/sheets/{sheet_id}/handout/", data=params)
    return response


@pytest.mark.parametrize("lang", list(RESIDENT_LANGUAGES))
def test_handout_in_every_language_names_the_desk_and_code_and_no_case_content(
    api, resident, sheet_id, lang
):
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    response = _handout(api, "tax_clerk", sheet_id, lang=lang)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "自立相談支援窓口" in html
    assert sheet.arrival_code and sheet.arrival_code in html
    assert "本庁舎 2階 23番窓口" in html
    assert "046-000-0000" in html
    assert f'lang="{RESIDENT_LANGUAGES[lang][1]}"' in html
    assert Words(lang).missing == set()
    title = Words(lang).raw("title")
    assert title.split("{")[0] in html  # the language's own title
    for text in (
        CASE_TEXTS["summary"],
        CASE_TEXTS["resident_words"],
        CASE_TEXTS["contact_preference"],
        *CASE_TEXTS["details"].values(),
        resident.family_name,
        resident.family_name_kana,
        resident.address,
    ):
        assert text not in html
    assert "data:image/svg+xml" in html  # the QR code of the arrival code


def test_easy_japanese_handout_has_furigana(api, sheet_id):
    html = _handout(api, "tax_clerk", sheet_id, lang="easy_ja").content.decode()
    assert "<ruby>窓口<rt>まどぐち</rt></ruby>" in html


def test_unsupported_language_falls_back_to_easy_japanese(api, sheet_id):
    fallback = _handout(api, "tax_clerk", sheet_id, lang="xx").content.decode()
    easy = _handout(api, "tax_clerk", sheet_id, lang="easy_ja").content.decode()
    assert fallback == easy
    assert 'class="handout paper-a4 lang-easy_ja"' in fallback


def test_missing_string_falls_back_to_easy_japanese(settings, tmp_path, api, sheet_id):
    from referral_hub.resident_texts import catalogue

    # A municipality's vi catalogue where "intro" is left empty: that line reads in easy_ja.
    (tmp_path / "vi.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgctxt "title"\nmsgid "つなぎ先のご案内"\nmsgstr "Chỉ đường (đã sửa)"\n',
        encoding="utf-8",
    )
    settings.RESIDENT_TEXTS_DIR = str(tmp_path)
    catalogue.cache_clear()
    try:
        words = Words("vi")
        words._own = {k: v for k, v in words._own.items() if k != "intro"}
        assert words.raw("title") == "Chỉ đường (đã sửa)"
        assert words.raw("intro") == Words("easy_ja").raw("intro")
        assert words.missing == {"intro"}
    finally:
        catalogue.cache_clear()


def _embedded_fonts(pdf: bytes) -> set[str]:
    names = set()
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            names.update(re.findall(rb"/FontName\s*/([A-Za-z+_-]+)", zlib.decompress(stream[1])))
        except zlib.error:
            continue
    return {name.decode().split("+", 1)[-1] for name in names}


def test_handout_pdf_is_set_in_noto_cjk(api, sheet_id):
    response = _handout(api, "tax_clerk", sheet_id, lang="ja", format="pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    # Japanese is set in Debian's Noto CJK (fonts-noto-cjk), not a fallback without kana.
    assert "Noto-Sans-CJK-JP" in _embedded_fonts(response.content)
    receipt = _handout(api, "tax_clerk", sheet_id, lang="vi", format="pdf", paper="receipt")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


def test_handout_is_for_sender_and_owner_desk_only(api, sheet_id):
    assert _handout(api, "consult1", sheet_id, lang="en").status_code == 200
    refused = _handout(api, "nhi_clerk", sheet_id, lang="en")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/json"
    assert _handout(api, "tax_clerk", 99999999, lang="en").status_code in (403, 404)
    assert _handout(api, "tax_clerk", sheet_id, format="docx").status_code == 400


def test_each_print_is_audited_with_its_language(api, sheet_id):
    _handout(api, "tax_clerk", sheet_id, lang="vi")
    row = AuditEvent.objects.filter(action="sheet.handout_printed").latest("seq")
    assert (row.target_id, row.details["language"]) == (str(sheet_id), "vi")


@pytest.mark.parametrize(
    ("number", "code"),
    [("2026-000123", "26-0123-"), ("2027-001234", "27-1234-"), ("2026-123456", "26-123456-")],
)
def test_arrival_code_is_the_short_number_with_a_check_digit(number, code):
    made = arrival_code(number)
    assert made.startswith(code)
    digits = made.replace("-", "")
    assert luhn_digit(digits[:-1]) == int(digits[-1])
    assert normalise_code(made.replace("-", " ")) == made
    assert normalise_code("２６－０１２３－５") == arrival_code("2026-000123") == "26-0123-5"
