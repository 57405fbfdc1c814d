"""How kana names and phone numbers are stored, and how kana is matched.

``to_katakana`` and ``to_phone`` decide what is stored (issue 15, input 13): a kana field holds
full-width katakana only, so "ﾔﾏﾀﾞ" and "やまだ" are stored as "ヤマダ" and kanji or Latin letters are
refused; a phone number holds half-width digits and hyphens only ("０９０ー１２３４" → "090-1234").
Both API serializers and page forms use them (``referral_hub.api_input.NormalisedCharField``,
``frontend.forms.base.NormalisedField``).

Matching (issue 16, input 5). ``normalise_kana`` is the one canonical folding a resident's blind
indexes are computed from: 全角/半角 (NFKC), hiragana to katakana, small kana to large, middle dots
and spaces away, voiced ヴ-row to バ-row (ヴァ→バ, ヴィ→ビ, ヴ→ブ, ヴェ→ベ, ヴォ→ボ), ヂ/ヅ to ジ/ズ.
The long-vowel mark ー (and a dash typed for it) is a mora, never deleted: deleting it made
オーノ (大野) and オノ (小野) one key. Where the vowel it lengthens is certain, it becomes that
vowel (カー→カア, ニー→ニイ, ユー→ユウ). After an オ-row or エ-row kana it is ambiguous, because
names are written both ways (大野 オオノ but 佐藤 サトウ; エエ but 英子 エイコ), so the canonical
folding keeps it as ー there (オーノ stays オーノ).

``kana_readings`` lists what a typed query may mean: its canonical folding, every ambiguous ー
read as either vowel (オー → オオ/オウ, エー → エエ/エイ), and every explicit long vowel
(オオ, オウ, エエ, エイ) also read as ー, so a resident registered as サトー is found by サトウ.
A search computes the blind index of each reading. The relation this gives:
- オーノ finds オオノ, オウノ and オーノ; オオノ finds オオノ and オーノ; neither finds オノ.
- サトウ/サトー, ヨウコ/ヨーコ, オオタ/オータ, コウジ/コージ, ユウコ/ユーコ meet: in 住民票
  フリガナ practice the long オ of 佐藤, 洋子, 浩二 is written オウ, and a clerk typing ー means it.
- ユキ/ユウキ, オノ/オオノ, サトウ/サイトウ stay apart: a reading never changes the number of
  morae, so a long and a short vowel never meet.
- オオノ and オウノ stay apart (only a typed ー may mean either).
The folding is used only as input to a blind index, never shown."""

from __future__ import annotations

import itertools
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
_DROP = {"・", "･", " ", "\u3000"}
# Dashes typed for the long-vowel mark become it (as ``to_katakana`` stores them).
_DASHES = str.maketrans({"-": "ー", "‐": "ー", "−": "ー", "－": "ー", "ｰ": "ー"})
LONG = "ー"
# The vowel each (large) katakana ends in; kana not listed (ン, ッ) lengthen nothing.
_ROWS = {
    "ア": "アカサタナハマヤラワガザダバパ",
    "イ": "イキシチニヒミリギジビピ",
    "ウ": "ウクスツヌフムユルグズブプ",
    "エ": "エケセテネヘメレゲゼデベペ",
    "オ": "オコソトノホモヨロゴゾドボポ",
}
_VOWEL_OF = {kana: vowel for vowel, row in _ROWS.items() for kana in row}
# How a long vowel after each row may be written: the first spelling is what ー is read as
# when it is certain; rows with two spellings keep ー in the canonical folding.
_SPELLINGS = {"ア": "ア", "イ": "イ", "ウ": "ウ", "エ": "エイ", "オ": "オウ"}
# Enough for any real name (each ambiguous place doubles or triples the readings); a longer
# query is searched by its first readings only.
MAX_READINGS = 64


def _hiragana_to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def _fold_long_vowels(text: str) -> str:
    """ー after a kana whose vowel is certain becomes that vowel; after オ/エ-row kana it stays;
    a run of ー counts once, and ー after ン, ッ, a non-kana or at the start is dropped."""
    out: list[str] = []
    for ch in re.sub(f"{LONG}+", LONG, text):
        if ch != LONG:
            out.append(ch)
            continue
        vowel = _VOWEL_OF.get(out[-1]) if out else None
        if vowel is None:
            continue
        spellings = _SPELLINGS[vowel]
        out.append(spellings[0] if len(spellings) == 1 else LONG)
    return "".join(out)


def normalise_kana(text: str) -> str:
    """The canonical folding of ``text`` (see the module docstring); idempotent.
    "オーノ ユーコ" → "オーノユウコ", "ﾔﾏﾀﾞ たろう" → "ヤマダタロウ".

    One pass can expose a new composition (a dropped space brings a combining dakuten next to a
    kana), so the pass repeats until nothing changes."""
    text = text or ""
    for _ in range(4):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    # Recompose after the shift: "わ" + combining dakuten has no precomposed hiragana, but
    # "ワ" + dakuten composes to "ヷ" (without this the folding would not be idempotent).
    text = unicodedata.normalize("NFC", _hiragana_to_katakana(text))
    for source, target in _VU_ROW:
        text = text.replace(source, target)
    text = text.translate(_SIMILAR)
    text = "".join(ch for ch in text if ch not in _DROP)
    text = text.translate(_SMALL_TO_LARGE).upper()
    return _fold_long_vowels(text)


def kana_readings(text: str) -> list[str]:
    """Every canonical folding a resident who is ``text`` may be stored under, the canonical
    folding of ``text`` first; at most ``MAX_READINGS``. Each reading has as many characters
    (morae) as the canonical folding. "オーノ" → ["オーノ", "オオノ", "オウノ"]."""
    folded = normalise_kana(text)
    choices: list[tuple[str, ...]] = []
    previous_varies = False
    for i, ch in enumerate(folded):
        vowel = _VOWEL_OF.get(folded[i - 1]) if i and not previous_varies else None
        spellings = _SPELLINGS.get(vowel or "", "")
        if len(spellings) == 2 and ch == LONG:
            choices.append((LONG, *spellings))  # オー read as ー, オオ or オウ
        elif len(spellings) == 2 and ch in (vowel, spellings[1]):
            choices.append((ch, LONG))  # オオ / オウ may have been registered as オー
        else:
            choices.append((ch,))
        previous_varies = len(choices[-1]) > 1
    readings = ("".join(chars) for chars in itertools.product(*choices))
    # A reading that is not itself a canonical folding (e.g. ーー, which folds to one ー) could
    # never be stored: drop it, so every reading keeps the query's morae.
    stored_form = (r for r in readings if normalise_kana(r) == r)
    return list(itertools.islice(stored_form, MAX_READINGS))


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
