"""The same name typed differently at two counters normalises to the same key (issue 3:
全角/半角, hiragana/katakana, ヴ/ブ-style variants, spaces), and different names do not."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.consent.kana import normalise_kana
from referral_hub.consent.services import family_birth_index, name_birth_index

SAME_NAME = [
    # (typed at one counter, typed at another)
    ("ヤマダ タロウ", "やまだ たろう"),  # hiragana / katakana
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # 半角カナ with a separate dakuten
    ("ヤマダ タロウ", "ヤマダ\u3000タロウ"),  # 全角 space
    ("ヤマダ タロウ", "ヤマダタロウ"),  # no space
    ("ヤマダ タロウ", " ヤマダ  タロウ "),  # stray spaces
    ("ヴァイオレット", "バイオレット"),
    ("ヴィクトル", "ビクトル"),
    ("ヴェルデ", "ベルデ"),
    ("ヴォルフ", "ボルフ"),
    ("ヴ", "ブ"),
    ("ゔぁいおれっと", "バイオレット"),  # hiragana ゔ
    ("ｳﾞｧｲｵﾚｯﾄ", "バイオレット"),  # 半角 ヴァ
    ("ジュン", "ジユン"),  # small ュ
    ("キョウコ", "キヨウコ"),
    ("ツヅキ", "ツズキ"),  # ヅ / ズ
    ("チヂワ", "チジワ"),  # ヂ / ジ
    ("ジョン・スミス", "ジョンスミス"),  # middle dot
    ("ｼﾞｮﾝ･ｽﾐｽ", "ジョンスミス"),  # 半角 middle dot
    ("スミス", "ｽﾐｽ"),
    ("smith", "ＳＭＩＴＨ"),  # 全角 Latin and case
]

DIFFERENT_NAMES = [
    ("ヤマダ", "ヤマタ"),  # a dakuten changes the name
    ("サトウ", "サイトウ"),
    ("カトウ", "ガトウ"),
    ("ハラ", "バラ"),
    ("オオノ", "オノ"),
]


@pytest.mark.parametrize(("one", "other"), SAME_NAME)
def test_variants_of_one_name_normalise_to_the_same_key(one, other):
    assert normalise_kana(one) == normalise_kana(other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_NAMES)
def test_different_names_stay_different(one, other):
    assert normalise_kana(one) != normalise_kana(other)


def test_normalised_kana_is_plain_full_width_katakana():
    assert normalise_kana("ﾔﾏﾀﾞ たろう") == "ヤマダタロウ"


def test_normalisation_is_idempotent():
    for one, other in SAME_NAME:
        once = normalise_kana(one)
        assert normalise_kana(once) == once


def test_empty_and_missing_kana_normalise_to_empty():
    assert normalise_kana("") == ""
    assert normalise_kana(None) == ""  # type: ignore[arg-type]
    assert normalise_kana(" \u3000 ") == ""


def test_blind_indexes_match_across_spellings_and_not_across_birth_dates(settings):
    born = datetime.date(1980, 5, 5)

    assert name_birth_index("ヤマダ", "タロウ", born) == name_birth_index("ﾔﾏﾀﾞ", "たろう", born)
    assert name_birth_index("ヤマダ", "タロウ", born) == name_birth_index("やまだたろう", "", born)
    assert family_birth_index("ヴァレ", born) == family_birth_index("バレ", born)
    assert name_birth_index("ヤマダ", "タロウ", born) != name_birth_index(
        "ヤマダ", "タロウ", datetime.date(1980, 5, 6)
    )
    # The two indexes are keyed for different purposes: one never matches the other.
    assert family_birth_index("ヤマダ", born) != name_birth_index("ヤマダ", "", born)


def test_blind_index_reveals_no_kana():
    digest = name_birth_index("ヤマダ", "タロウ", datetime.date(1980, 5, 5))

    assert len(digest) >= 32
    assert "ヤマダ" not in digest and "1980" not in digest
