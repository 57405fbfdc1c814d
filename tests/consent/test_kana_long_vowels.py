"""Issue 16, input 5: the long-vowel mark ー is a mora. It becomes the vowel it lengthens, both
readings are tried where that vowel is ambiguous (オー → オオ/オウ, エー → エエ/エイ), and a
long vowel never meets a short one (オノ/オオノ, ユキ/ユウキ).

``meets(registered, query)`` is what the duplicate search decides: the registered kana's
canonical folding (the stored index) is one of the query's readings (the indexes looked up)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referral_hub.consent.kana import MAX_READINGS, kana_readings, normalise_kana


def meets(registered: str, query: str) -> bool:
    return normalise_kana(registered) in kana_readings(query)


# Spellings a human reader takes for one name. In 住民票 フリガナ the long オ of 佐藤, 洋子, 浩二
# is written オウ and the long オ of 大野, 太田 is written オオ; a clerk typing ー means either,
# so コウジ and コージ are one name (decided: they meet), as are サトウ/サトー and ヨウコ/ヨーコ.
SAME_NAME = [
    ("サトウ", "サトー"),
    ("オオタ", "オータ"),
    ("ヨウコ", "ヨーコ"),
    ("コウジ", "コージ"),
    ("オオノ", "オーノ"),
    ("ユウコ", "ユーコ"),
    ("ケイコ", "ケーコ"),  # エー → エイ
    ("ネエ", "ネー"),  # エー → エエ
    ("ニイナ", "ニーナ"),  # certain vowels: イー → イイ
    ("ジョージ", "ジョウジ"),
    ("オオノ ユウコ", "おーの ゆーこ"),
    ("オオノ", "ｵｰﾉ"),  # half-width mark
    ("オオノ", "オ-ノ"),  # a dash typed for ー
]

# Names a human reader tells apart: a long and a short vowel, or an added mora.
DIFFERENT_NAMES = [
    ("オノ", "オオノ"),
    ("オノ", "オーノ"),
    ("ユキ", "ユウキ"),
    ("ユキ", "ユーキ"),
    ("サト", "サトウ"),
    ("サト", "サトー"),
    ("コジ", "コージ"),
    ("ヨコ", "ヨーコ"),
    ("オタ", "オータ"),
    ("サトウ", "サイトウ"),
    ("オオノ", "オウノ"),  # spelled out differently: only a typed ー may mean either
    ("カトウ", "ガトウ"),
]


@pytest.mark.parametrize(("one", "other"), SAME_NAME)
def test_two_spellings_of_one_long_vowel_meet_both_ways(one, other):
    assert meets(one, other)
    assert meets(other, one)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_NAMES)
def test_different_names_never_meet_either_way(one, other):
    assert not meets(one, other)
    assert not meets(other, one)


def test_the_long_vowel_mark_is_kept_as_a_mora_not_deleted():
    assert normalise_kana("オーノ ユーコ") == "オーノユウコ"
    assert normalise_kana("ラーメン") == "ラアメン"
    assert normalise_kana("ケーコ") == "ケーコ"
    assert kana_readings("オーノ") == ["オーノ", "オオノ", "オウノ"]
    assert kana_readings("エーコ") == ["エーコ", "エエコ", "エイコ"]
    assert kana_readings("オノ") == ["オノ"]


def test_marks_without_a_vowel_to_lengthen_are_dropped_and_runs_count_once():
    assert normalise_kana("ーサトーー") == normalise_kana("サトー")
    assert normalise_kana("カーー") == "カア"


KANA = st.text(
    alphabet=st.sampled_from(
        list(
            "アイウエオカキクケコサシスセソタチツテトナノハヒホマミムメモヤユヨラリルレロワンガジズデボパ"
        )
        + list("ァィゥェォッャュョヴーｰ-・ 　ぁあいうえおかさたなはやゆよらわゃゅょ")
        + list("ｱｲｳｴｵｶﾞﾟｰ")
    ),
    max_size=12,
)


@given(KANA)
def test_folding_is_idempotent(text):
    once = normalise_kana(text)
    assert normalise_kana(once) == once


@given(KANA)
def test_a_query_always_finds_its_own_spelling_first(text):
    readings = kana_readings(text)
    assert readings[0] == normalise_kana(text)
    assert 1 <= len(readings) <= MAX_READINGS


@given(KANA)
def test_every_reading_is_a_canonical_folding_of_the_same_length(text):
    # Readings are compared with stored canonical foldings, and never add or drop a mora:
    # that is what keeps オノ/オオノ and ユキ/ユウキ apart.
    folded = normalise_kana(text)
    for reading in kana_readings(text):
        assert normalise_kana(reading) == reading
        assert len(reading) == len(folded)


@given(KANA, KANA)
def test_names_of_different_length_never_meet(one, other):
    if len(normalise_kana(one)) != len(normalise_kana(other)):
        assert not meets(one, other)


PLAIN_KANA = st.text(alphabet=st.sampled_from(list("アイウエオカキクケコサノマユヨラワンガジ")))


@given(KANA, st.sampled_from(list("オコソトノホモヨロゴゾドボポ")), PLAIN_KANA)
def test_a_long_o_never_meets_the_short_o(before, kana, after):
    # ``after`` is what follows the vowel: kana, not a second long-vowel mark.
    short = before + kana + after
    for long in (before + kana + "ー" + after, before + kana + "オ" + after):
        assert not meets(short, long)
        assert not meets(long, short)


def test_hiragana_with_a_combining_dakuten_folds_like_its_katakana():
    # Found by hypothesis: "わ" + U+3099 has no precomposed hiragana, "ワ" + U+3099 is "ヷ".
    assert (
        normalise_kana("わ\u3099")
        == normalise_kana("ヷ")
        == normalise_kana(normalise_kana("わ\u3099"))
    )
