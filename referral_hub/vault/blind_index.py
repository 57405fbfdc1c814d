"""Keyed blind indexes: find equal values without storing them in clear.

``blind_index(value, purpose=...)`` is HMAC-SHA256 under a per-purpose subkey derived from
``VAULT_INDEX_KEY``, over a normalised form of the value, so the kana ``やまだ``, ``ヤマダ``
and ``ﾔﾏﾀﾞ`` index alike and an index built for one purpose (say kana + birth date) cannot
be matched against another. Without the index key the stored hex digest reveals nothing
but equality. Normalisation: NFKC (full/half width), hiragana → katakana, case folding,
and removal of spaces, middle dots and hyphen-like separators.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from referral_hub.vault.keyring import index_key

_SUBKEY_LABEL = b"referral-hub/vault/blind-index/v1\x00"
# Whitespace, middle dots and ASCII/Unicode hyphens and minus signs; the katakana long
# vowel mark (ー) is part of names and is kept.
_SEPARATORS = re.compile(r"[\s\u00b7\u30fb\uff65\-\u2010-\u2015\u2212]+")
_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096  # ぁ .. ゖ
_KANA_OFFSET = 0x60  # ァ - ぁ


def normalize_for_index(value: str) -> str:
    """The canonical form both sides of a lookup are compared in."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(
        chr(ord(ch) + _KANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in text
    )
    text = text.replace("\u309d", "\u30fd").replace("\u309e", "\u30fe")  # ゝゞ → ヽヾ
    return _SEPARATORS.sub("", text.casefold())


def blind_index(value: str, *, purpose: str) -> str:
    """Hex HMAC-SHA256 of the normalised value under the subkey for ``purpose``."""
    if not purpose or "\x00" in purpose:
        raise ValueError("blind_index needs a non-empty purpose, e.g. 'resident.kana_birth'")
    subkey = hmac.new(index_key(), _SUBKEY_LABEL + purpose.encode("utf-8"), hashlib.sha256)
    digest = hmac.new(subkey.digest(), normalize_for_index(value).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()
