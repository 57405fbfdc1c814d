"""和暦 date entry (issue 19): what clerks type, era boundaries, and invalid era dates."""

from __future__ import annotations

import datetime

import pytest

from referral_hub.wareki import InvalidDate, both_eras, era_text, parse_date

D = datetime.date

VALID = [
    ("昭和55年4月1日", D(1980, 4, 1)),
    ("S55.4.1", D(1980, 4, 1)),
    ("s55.04.01", D(1980, 4, 1)),
    ("Ｓ５５．４．１", D(1980, 4, 1)),
    ("昭55/4/1", D(1980, 4, 1)),
    ("S550401", D(1980, 4, 1)),
    ("令和2年1月1日", D(2020, 1, 1)),
    ("R2/1/1", D(2020, 1, 1)),
    ("R2-1-1", D(2020, 1, 1)),
    ("令和元年5月1日", D(2019, 5, 1)),
    ("R元.5.1", D(2019, 5, 1)),
    ("昭和64年1月7日", D(1989, 1, 7)),
    ("平成元年1月8日", D(1989, 1, 8)),
    ("H1.1.8", D(1989, 1, 8)),
    ("平成31年4月30日", D(2019, 4, 30)),
    ("平成 31 年 4 月 30 日", D(2019, 4, 30)),
    ("大正15年12月24日", D(1926, 12, 24)),
    ("昭和元年12月25日", D(1926, 12, 25)),
    ("明治45年7月29日", D(1912, 7, 29)),
    ("1980-04-01", D(1980, 4, 1)),
    ("1980/4/1", D(1980, 4, 1)),
    ("1980年4月1日", D(1980, 4, 1)),
    ("19800401", D(1980, 4, 1)),
    ("２０２４年２月２９日", D(2024, 2, 29)),
]

INVALID = [
    ("昭和65年1月1日", "昭和は1926年12月25日から昭和64年(1989年)1月7日までです"),
    ("昭和64年1月8日", "昭和64年1月8日はありません"),
    ("平成31年5月1日", "平成は1989年1月8日から平成31年(2019年)4月30日までです"),
    ("令和元年4月30日", "令和は2019年5月1日からです"),
    ("平成2年2月30日", "1990年2月30日という日付はありません"),
    ("令和0年1月1日", "元年(1年)からです"),
    ("2023-02-29", "2023年2月29日という日付はありません"),
    ("X55.4.1", "S55.4.1"),
    ("あした", "S55.4.1"),
    ("", "S55.4.1"),
]


@pytest.mark.parametrize(("typed", "expected"), VALID)
def test_typed_dates_parse(typed, expected):
    assert parse_date(typed) == expected


@pytest.mark.parametrize(("typed", "reason"), INVALID)
def test_invalid_dates_say_why(typed, reason):
    with pytest.raises(InvalidDate) as raised:
        parse_date(typed)
    assert reason in raised.value.message


def test_the_table_has_at_least_twenty_inputs_with_both_era_boundaries():
    typed = {t for t, _ in VALID} | {t for t, _ in INVALID}
    assert len(typed) >= 20
    assert {"昭和64年1月7日", "平成元年1月8日", "平成31年4月30日", "令和元年5月1日"} <= typed


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (D(1980, 4, 1), "1980年4月1日(昭和55年4月1日)"),
        (D(1989, 1, 7), "1989年1月7日(昭和64年1月7日)"),
        (D(1989, 1, 8), "1989年1月8日(平成元年1月8日)"),
        (D(2019, 4, 30), "2019年4月30日(平成31年4月30日)"),
        (D(2019, 5, 1), "2019年5月1日(令和元年5月1日)"),
    ],
)
def test_dates_are_shown_in_both_eras(day, shown):
    assert both_eras(day) == shown
    assert parse_date(era_text(day)) == day
