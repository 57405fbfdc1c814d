"""The confidentiality pledge (守秘義務の誓約) members sign, versioned in code.

A pledge records the version it was signed under and the SHA-256 of that version's text, so a
printed meeting record proves which words each member agreed to. Never edit a published text:
add a new version, make it ``CURRENT_VERSION``, and leave the old ones here (pledges signed
under them stay verifiable). See docs/operations/support-meetings.md.
"""

from __future__ import annotations

import hashlib

PLEDGE_TEXTS: dict[str, str] = {
    "2026-1": (
        "私は、この支援会議の構成員として、会議の事務に関して知り得た秘密を漏らしません。"
        "会議で共有された情報は、検討事例となった本人の支援のためにだけ用い、"
        "会議の情報共有の期間が終わった後も、正当な理由なく他に提供しません。"
        "(生活困窮者自立支援法第9条第5項、社会福祉法第106条の6第6項、"
        "児童福祉法第25条の5 に定める守秘義務)"
    ),
}
CURRENT_VERSION = "2026-1"


def text_of(version: str) -> str:
    """The pledge text of ``version``; raises ``KeyError`` for an unknown version."""
    return PLEDGE_TEXTS[version]


def sha256_of(version: str) -> str:
    """Hex SHA-256 of the UTF-8 text of ``version``."""
    return hashlib.sha256(text_of(version).encode("utf-8")).hexdigest()
