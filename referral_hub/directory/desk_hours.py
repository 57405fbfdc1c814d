"""A desk's opening hours as recurring weekly rules, and the languages its staff speak.

``Desk.opening_hours`` is a list of rules, each ``{"weekdays": [0..6], "opens": "HH:MM",
"closes": "HH:MM"}`` (0 = Monday, as ``datetime.date.weekday``). Public holidays and the
year-end closure (29 Dec - 3 Jan) are closed whatever the rules say: ``office_calendar`` is the
one calendar. The handout (``handoffs/handout.py``) prints the rules in the resident's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LANGUAGE = re.compile(r"^[a-z]{2,8}(_[a-z]{2,8})?$")


@dataclass(frozen=True)
class HoursRule:
    weekdays: tuple[int, ...]
    opens: str
    closes: str


def parse_opening_hours(value: Any) -> list[HoursRule]:
    """The rules of ``value`` (the JSON of ``Desk.opening_hours``); raises ``ValidationError``
    naming the first rule that is not ``{"weekdays": [0..6, ...], "opens", "closes"}``."""
    if not isinstance(value, list):
        raise ValidationError("受付時間は規則の一覧(JSON の配列)で入力してください。")
    rules = []
    for number, rule in enumerate(value, start=1):
        if not isinstance(rule, dict) or set(rule) != {"weekdays", "opens", "closes"}:
            raise ValidationError(
                f"{number}番目の規則: weekdays, opens, closes の3つを指定してください。"
            )
        days = rule["weekdays"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            raise ValidationError(f"{number}番目の規則: weekdays は 0(月)〜6(日)の一覧です。")
        opens, closes = rule["opens"], rule["closes"]
        if not (isinstance(opens, str) and _TIME.match(opens)) or not (
            isinstance(closes, str) and _TIME.match(closes)
        ):
            raise ValidationError(f"{number}番目の規則: 時刻は HH:MM で入力してください。")
        if opens >= closes:
            raise ValidationError(f"{number}番目の規則: 終了時刻は開始時刻より後にしてください。")
        rules.append(HoursRule(tuple(sorted(set(days))), opens, closes))
    return rules


def validate_opening_hours(value: Any) -> None:
    parse_opening_hours(value)


def validate_language_codes(value: Any) -> None:
    """A list of language codes (``ja``, ``en``, ``vi``, ``easy_ja`` ...)."""
    if not isinstance(value, list) or not all(
        isinstance(code, str) and _LANGUAGE.match(code) for code in value
    ):
        raise ValidationError('言語コードの一覧で入力してください。例: ["ja", "en", "vi"]')
