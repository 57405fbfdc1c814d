"""Kana normalisation so that the same name typed differently at two counters matches.

Folds 全角/半角 (NFKC), hiragana to katakana, small kana to large, long-vowel marks and
middle dots away, voiced ヴ-row to バ-row (ヴァ→バ, ヴィ→ビ, ヴ→ブ, ヴェ→ベ, ヴォ→ボ), ヂ/ヅ to ジ/ズ and
spaces away. The result is used only as input to a blind index, never shown."""

from __future__ import annotations

import unicodedata

_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_VU_ROW = [
    ("ヴァ", "バ"),
    ("ヴィ", "ビ"),
    ("ヴェ", "ベ"),
    ("ヴォ", "ボ"),
    ("ヴュ", "ビユ"),
    ("ヴ", "ブ"),
]
_SIMILAR = str.maketrans({"ヂ": "ジ", "ヅ": "ズ", "ヰ": "イ", "ヱ": "エ", "ヲ": "オ"})
_DROP = {"ー", "-", "‐", "−", "・", "･", " ", "\u3000", "ｰ"}


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def normalise_kana(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = _hiragana_to_katakana(text)
    for source, target in _VU_ROW:
        text = text.replace(source, target)
    text = text.translate(_SIMILAR)
    text = "".join(ch for ch in text if ch not in _DROP)
    return text.translate(_SMALL_TO_LARGE).upper()
