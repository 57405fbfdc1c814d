"""Dates as clerks type them: 和暦 (昭和55年4月1日, S55.4.1, R2/1/1, 令和元年5月1日) or 西暦.

The eras and their boundaries come from ``japanera`` (its era table, checked with
``EraDate.strptime``: 昭和64年1月7日 is a date, 昭和64年1月8日 is not, it is 平成元年1月8日).
This module only normalises what is typed (full-width digits, the one-letter era abbreviations
M/T/S/H/R and 明/大/昭/平/令, ``.``, ``/``, ``-`` or 年月日 as separators, 元 for year 1) into
the form japanera parses, and words the error a clerk can act on. It imports no app, so forms
(``frontend/forms``) and API serializers (``api_input``) share it.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from japanera import ERA_DATA_GENERAL, EraDate

_ERAS = {
    e.kanji: e for e in ERA_DATA_GENERAL if e.kanji in ("明治", "大正", "昭和", "平成", "令和")
}
_ABBREVIATIONS = {
    "M": "明治",
    "T": "大正",
    "S": "昭和",
    "H": "平成",
    "R": "令和",
    "明": "明治",
    "大": "大正",
    "昭": "昭和",
    "平": "平成",
    "令": "令和",
}
_ERA = r"(明治|大正|昭和|平成|令和|[MTSHR明大昭平令])"
_SEP = r"[./\-年]"
_ERA_DATE = re.compile(_ERA + r"(\d{1,2}|元)" + _SEP + r"(\d{1,2})[./\-月](\d{1,2})日?")
_ERA_COMPACT = re.compile(_ERA + r"(\d{2})(\d{2})(\d{2})")
_WESTERN = re.compile(r"(\d{4})" + _SEP + r"(\d{1,2})[./\-月](\d{1,2})日?")
_WESTERN_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


class InvalidDate(ValueError):
    """A typed date that is not a date; ``message`` says why in Japanese, then English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


FORMAT_HELP = (
    "日付は 昭和55年4月1日、S55.4.1、R2/1/1 のような和暦か、1980-04-01 のような西暦で入力して"
    "ください。/ Type a date as 昭和55年4月1日, S55.4.1, R2/1/1 or 1980-04-01."
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().upper()
    return re.sub(r"\s+", "", text).replace("ー", "-").replace("‐", "-")


def _western(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise InvalidDate(
            f"{year}年{month}月{day}日という日付はありません。/ There is no such date."
        ) from None


def _era(era_name: str, year_text: str, month: int, day: int) -> datetime.date:
    era = _ERAS[_ABBREVIATIONS.get(era_name, era_name)]
    year = 1 if year_text == "元" else int(year_text)
    if year < 1:
        raise InvalidDate(f"{era.kanji}0年はありません。元年(1年)からです。/ Era years start at 1.")
    western_year = era.since.year + year - 1
    _western(western_year, month, day)  # 2月30日 is no date in any era
    canonical = f"{era.kanji}{year}年{month}月{day}日"
    try:
        found = EraDate.strptime(canonical, "%-K%-y年%-m月%-d日")
    except ValueError:
        found = []
    if not found:
        raise InvalidDate(_outside(era, year, month, day))
    return datetime.date(found[0].year, found[0].month, found[0].day)


def _outside(era, year: int, month: int, day: int) -> str:  # type: ignore[no-untyped-def]
    first = era.since
    if era.until is None:
        return (
            f"{era.kanji}{year}年{month}月{day}日はありません。{era.kanji}は"
            f"{first.year}年{first.month}月{first.day}日からです。/ Before the era began."
        )
    last = era.until - datetime.timedelta(days=1)
    last_year = last.year - first.year + 1
    return (
        f"{era.kanji}{year}年{month}月{day}日はありません。{era.kanji}は"
        f"{first.year}年{first.month}月{first.day}日から{era.kanji}{last_year}年"
        f"({last.year}年){last.month}月{last.day}日までです。"
        f" / {era.kanji} runs from {first.isoformat()} to {last.isoformat()}."
    )


def parse_date(text: str) -> datetime.date:
    """The date ``text`` names, in 和暦 or 西暦. Raises ``InvalidDate`` with a message a clerk
    can act on (an unknown shape, a day that does not exist, a year outside its era)."""
    typed = _normalise(text)
    for pattern, build in (
        (_ERA_DATE, lambda m: _era(m[1], m[2], int(m[3]), int(m[4]))),
        (_ERA_COMPACT, lambda m: _era(m[1], m[2], int(m[3]), int(m[4]))),
        (_WESTERN, lambda m: _western(int(m[1]), int(m[2]), int(m[3]))),
        (_WESTERN_COMPACT, lambda m: _western(int(m[1]), int(m[2]), int(m[3]))),
    ):
        match = pattern.fullmatch(typed)
        if match is not None:
            return build(match)
    raise InvalidDate(FORMAT_HELP)


def era_text(day: datetime.date) -> str:
    """``day`` in 和暦: 1980-04-01 -> 昭和55年4月1日, 2019-05-01 -> 令和元年5月1日
    ("" before 明治)."""
    try:
        era = EraDate.from_date(day).era
    except ValueError:
        return ""
    if era is None or era.kanji not in _ERAS:
        return ""
    year = day.year - era.since.year + 1
    return f"{era.kanji}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def both_eras(day: datetime.date | None) -> str:
    """``1980年4月1日(昭和55年4月1日)``: how a date is shown back to the clerk."""
    if day is None:
        return ""
    era = era_text(day)
    western = f"{day.year}年{day.month}月{day.day}日"
    return f"{western}({era})" if era else western
