"""How kana names and phone numbers are stored, and how kana is matched.

``to_katakana`` and ``to_phone`` decide what is stored (issue 15, input 13): a kana field holds
full-width katakana only, so "ﾔﾏﾀﾞ" and "やまだ" are stored as "ヤマダ" and kanji or Latin letters are
refused; a phone number holds half-width digits and hyphens only ("０９０ー１２３４" → "090-1234").
Both API serializers and page forms use them (``referral_hub.api_input.NormalisedCharField``,
``frontend.forms.base.NormalisedField``).

``normalise_kana`` folds 全角/半角 (NFKC), hiragana to katakana, small kana to large, long-vowel marks and
middle dots away, voiced ヴ-row to バ-row (ヴァ→バ, ヴィ→ビ, ヴ→ブ, ヴェ→ベ, ヴォ→ボ), ヂ/ヅ to ジ/ズ and
spaces away. The result is used only as input to a blind index, never shown."""

from __future__ import annotations

import re
import unicodedata

import jaconv

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


# Full-width katakana (ァ..ヺ), the long-vowel mark, the middle dot and the iteration marks.
_KATAKANA = re.compile(
    r"[\u30a1-\u30fa\u30fc\u30fb\u30fd\u30fe]+(\u3000[\u30a1-\u30fa\u30fc\u30fb\u30fd\u30fe]+)*"
)
# Dashes typed for the long-vowel mark (ASCII, full-width, hyphen, minus).
_LONG_VOWEL_TYPED = str.maketrans({"-": "ー", "－": "ー", "‐": "ー", "−": "ー", "ｰ": "ー"})
_SPACES = re.compile(r"\s+")
NOT_KANA = "カタカナかひらがなで入力してください(漢字・英字は使えません)。/ Use kana only."


def to_katakana(text: str) -> str:
    """``text`` as full-width katakana, with runs of spaces as one full-width space.

    Half-width kana (ﾀﾞ) and hiragana are converted; anything else (kanji, Latin letters,
    digits) raises ``ValueError(NOT_KANA)``. The empty string stays empty."""
    text = jaconv.h2z(text or "", kana=True, ascii=False, digit=False)
    text = jaconv.hira2kata(text).translate(_LONG_VOWEL_TYPED)
    text = _SPACES.sub("\u3000", text).strip("\u3000")
    if text and not _KATAKANA.fullmatch(text):
        raise ValueError(NOT_KANA)
    return text


_PHONE_DASHES = str.maketrans({ch: "-" for ch in "ー－‐−–—ｰ()（）"})
_PHONE = re.compile(r"[0-9]+(-[0-9]+)*")
NOT_PHONE = "電話番号は数字とハイフンで入力してください。/ Use digits and hyphens only."


def to_phone(text: str) -> str:
    """``text`` as half-width digits and single hyphens: "０３（１２３４）５６７８" → "03-1234-5678".
    Spaces count as hyphens; anything but digits and dashes raises ``ValueError(NOT_PHONE)``."""
    text = jaconv.z2h(text or "", kana=False, ascii=True, digit=True).translate(_PHONE_DASHES)
    text = re.sub(r"-+", "-", _SPACES.sub("-", text.strip())).strip("-")
    if text and not _PHONE.fullmatch(text):
        raise ValueError(NOT_PHONE)
    return text
