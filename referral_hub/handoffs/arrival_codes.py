"""The arrival code (来所コード) printed on the resident's handout: the sheet number, short.

``2026-000123`` becomes ``26-0123-5``: the year's last two digits, the sequence (at least four
digits), and a Luhn check digit over both, so a desk that types the code catches a mistyped or
swapped digit (``arrival_code_mismatch``). It is derived from the number, not a secret: whoever
holds the handout may show it, and only the owner desk can record an arrival with it.
"""

from __future__ import annotations

import re
import unicodedata

_NUMBER = re.compile(r"^(\d{4})-(\d{6})$")


def luhn_digit(digits: str) -> int:
    """The Luhn (ISO/IEC 7812-1) check digit of ``digits``."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # doubled: the check digit will sit to the right
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def arrival_code(number: str) -> str:
    """``2026-000123`` -> ``26-0123-5``; "" for a number not in that shape."""
    match = _NUMBER.match(number or "")
    if match is None:
        return ""
    year, sequence = match.group(1)[2:], f"{int(match.group(2)):04d}"
    return f"{year}-{sequence}-{luhn_digit(year + sequence)}"


def normalise_code(typed: str) -> str:
    """What a desk typed or scanned, in the printed shape: full-width digits and any dashes or
    spaces accepted (``２６ ０１２３ ５`` -> ``26-0123-5``); "" when it cannot be a code."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", typed or "") if c.isdigit())
    if len(digits) < 7:
        return ""
    return f"{digits[:2]}-{digits[2:-1]}-{digits[-1]}"
