"""The desk directory fields the handout prints (issue 19): opening hours as weekly rules in
the resident's language, languages by their own names, a temporary notice until its date."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from referral_hub.directory.desk_hours import parse_opening_hours, validate_language_codes
from referral_hub.handoffs.handout import build_handout, hours_lines
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.resident_texts import Words
from tests.fixtures_sheets import send_ok

SPLIT = [
    {"weekdays": [0, 1, 2, 3, 4], "opens": "08:30", "closes": "12:00"},
    {"weekdays": [0, 2, 4], "opens": "13:00", "closes": "17:15"},
]


def test_hours_rules_read_in_each_language():
    rules = parse_opening_hours(SPLIT)
    assert hours_lines(Words("ja"), rules) == [
        "月曜日〜金曜日 08:30〜12:00",
        "月曜日・水曜日・金曜日 13:00〜17:15",
    ]
    assert hours_lines(Words("en"), rules)[1] == "Monday, Wednesday, Friday 13:00〜17:15"
    assert hours_lines(Words("vi"), rules)[0] == "Thứ Hai〜Thứ Sáu 08:30〜12:00"


@pytest.mark.parametrize(
    "bad",
    [
        {"weekdays": [0]},
        [{"weekdays": [7], "opens": "08:30", "closes": "17:15"}],
        [{"weekdays": [], "opens": "08:30", "closes": "17:15"}],
        [{"weekdays": [0], "opens": "8:30", "closes": "17:15"}],
        [{"weekdays": [0], "opens": "17:15", "closes": "08:30"}],
        [{"weekdays": [0], "opens": "08:30", "closes": "17:15", "note": "x"}],
    ],
)
def test_malformed_hours_are_refused_with_a_reason(bad):
    with pytest.raises(ValidationError):
        parse_opening_hours(bad)


def test_language_codes_are_checked():
    validate_language_codes(["ja", "easy_ja", "vi"])
    with pytest.raises(ValidationError):
        validate_language_codes(["日本語"])


def test_temporary_notice_shows_until_its_date(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    desk = demo.desk("jiritsu")
    desk.opening_hours = SPLIT
    desk.languages_spoken = ["ja", "ne", "xx"]
    desk.temporary_notice = "5月7日は午後のみ受付"
    desk.temporary_notice_until = timezone.localdate()
    desk.save()
    sheet = ConnectSheet.objects.select_related("owner_desk").get(pk=sheet_id)

    shown = build_handout(sheet, "en")
    assert shown.notice == "5月7日は午後のみ受付"
    assert shown.languages == ["日本語", "नेपाली", "xx"]
    assert shown.hours[1] == "Monday, Wednesday, Friday 13:00〜17:15"

    desk.temporary_notice_until = timezone.localdate() - datetime.timedelta(days=1)
    desk.save()
    sheet = ConnectSheet.objects.select_related("owner_desk").get(pk=sheet_id)
    assert build_handout(sheet, "en").notice == ""
