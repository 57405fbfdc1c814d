"""Blind indexes: equal after normalisation, keyed, and separated by purpose."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_hub.vault.blind_index import blind_index, normalize_for_index
from referral_hub.vault.errors import KeyringMisconfigured


@pytest.mark.parametrize(
    "variant",
    [
        "ヤマダ タロウ",
        "やまだ たろう",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "ヤマダ\u3000タロウ",
        "ヤマダ・タロウ",
        "ヤマダタロウ",
    ],
)
def test_kana_variants_share_an_index(variant):
    assert blind_index(variant, purpose="resident.kana") == blind_index(
        "ヤマダタロウ", purpose="resident.kana"
    )


def test_kana_plus_birth_date_lookup_key():
    a = blind_index("すずき はなこ|1980-04-01", purpose="resident.kana_birth")
    b = blind_index("スズキ ハナコ|1980-04-01", purpose="resident.kana_birth")
    c = blind_index("スズキ ハナコ|1980-04-02", purpose="resident.kana_birth")
    assert a == b != c


def test_long_vowel_mark_is_significant():
    assert blind_index("オオノ", purpose="p") != blind_index("オーノ", purpose="p")


def test_phone_formatting_does_not_matter():
    assert blind_index("090-1234-5678", purpose="phone") == blind_index(
        "０９０１２３４５６７８", purpose="phone"
    )


def test_output_is_hex_sha256():
    assert re.fullmatch(r"[0-9a-f]{64}", blind_index("x", purpose="p"))


def test_purposes_are_separated():
    assert blind_index("ヤマダ", purpose="resident.kana") != blind_index(
        "ヤマダ", purpose="resident.address"
    )


def test_index_depends_on_the_key(settings, fresh_key):
    before = blind_index("ヤマダ", purpose="p")
    settings.VAULT_INDEX_KEY = fresh_key()
    assert blind_index("ヤマダ", purpose="p") != before


def test_missing_index_key_is_a_clear_error(settings):
    settings.VAULT_INDEX_KEY = ""
    with pytest.raises(KeyringMisconfigured, match="VAULT_INDEX_KEY"):
        blind_index("x", purpose="p")


def test_purpose_is_required():
    with pytest.raises(ValueError):
        blind_index("x", purpose="")


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096), max_size=12))
def test_hiragana_and_katakana_always_normalise_alike(hiragana):
    katakana = "".join(chr(ord(ch) + 0x60) for ch in hiragana)
    assert normalize_for_index(hiragana) == normalize_for_index(katakana)
