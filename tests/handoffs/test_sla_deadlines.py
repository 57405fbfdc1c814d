"""Acknowledgement deadlines (DESIGN.md, Urgency and SLA): urgent within one office hour, soon
by the end of the next working day, normal within three working days. Working days skip
weekends, Japanese public holidays and the year-end closure; office hours are configurable.
Which day is a working day is tested with the calendar (tests/test_office_calendar.py)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from referral_hub.handoffs import sla
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import send_ok

TOKYO = ZoneInfo("Asia/Tokyo")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TOKYO)


# 2026-11-18 is a Wednesday; 2026-11-20 a Friday; 2026-11-23 (Mon) is 勤労感謝の日.
CASES = [
    # urgent: one office hour
    ("urgent", "2026-11-18 10:00", "2026-11-18 11:00"),
    ("urgent", "2026-11-18 16:15", "2026-11-18 17:15"),
    ("urgent", "2026-11-18 16:45", "2026-11-19 09:00"),  # 30 min today, 30 min tomorrow
    ("urgent", "2026-11-18 17:15", "2026-11-19 09:30"),  # at closing time: tomorrow's hour
    ("urgent", "2026-11-18 21:00", "2026-11-19 09:30"),  # night
    ("urgent", "2026-11-18 07:00", "2026-11-18 09:30"),  # before opening
    ("urgent", "2026-11-21 11:00", "2026-11-24 09:30"),  # Saturday, then the Monday holiday
    ("urgent", "2026-11-20 16:45", "2026-11-24 09:00"),  # Friday evening over the holiday
    # soon: end of the next working day
    ("soon", "2026-11-18 10:00", "2026-11-19 17:15"),
    ("soon", "2026-11-18 20:00", "2026-11-19 17:15"),
    ("soon", "2026-11-20 10:00", "2026-11-24 17:15"),  # Friday: weekend + 勤労感謝の日
    ("soon", "2026-11-22 10:00", "2026-11-24 17:15"),  # Sunday
    # normal: within three working days
    ("normal", "2026-11-16 10:00", "2026-11-19 17:15"),
    ("normal", "2026-11-18 10:00", "2026-11-24 17:15"),  # 19, 20, (21, 22, 23) 24
    ("normal", "2026-11-21 10:00", "2026-11-26 17:15"),  # Saturday: 24, 25, 26
    # year-end closure (29 Dec – 3 Jan) and 元日
    ("urgent", "2026-12-28 16:45", "2027-01-04 09:00"),
    ("soon", "2026-12-28 10:00", "2027-01-04 17:15"),
    ("normal", "2026-12-25 10:00", "2027-01-05 17:15"),  # 28, (29 … 3), 4, 5
    ("normal", "2026-12-28 10:00", "2027-01-06 17:15"),
    ("normal", "2027-01-01 10:00", "2027-01-06 17:15"),
    # 成人の日 2027-01-11 (Mon)
    ("soon", "2027-01-08 10:00", "2027-01-12 17:15"),
    # シルバーウィーク 2026: 敬老の日 9/21, 国民の休日 9/22, 秋分の日 9/23
    ("soon", "2026-09-18 10:00", "2026-09-24 17:15"),
]


@pytest.mark.parametrize(("urgency", "sent", "due"), CASES)
def test_acknowledgement_deadline(urgency, sent, due):
    assert sla.ack_due_at(at(sent), urgency) == at(due)


def test_deadline_is_the_same_instant_whatever_timezone_the_input_is_in():
    sent_utc = at("2026-11-18 16:45").astimezone(datetime.UTC)

    assert sla.ack_due_at(sent_utc, "urgent") == at("2026-11-19 09:00")


def test_office_hours_are_configurable(settings):
    settings.OFFICE_HOURS = "09:00-17:00"

    assert sla.ack_due_at(at("2026-11-18 16:30"), "urgent") == at("2026-11-19 09:30")
    assert sla.ack_due_at(at("2026-11-18 08:45"), "urgent") == at("2026-11-18 10:00")
    assert sla.ack_due_at(at("2026-11-18 10:00"), "soon") == at("2026-11-19 17:00")


def test_sent_sheet_carries_the_deadline_of_its_urgency(demo, api, resident, jiritsu_consent):
    for urgency in ("urgent", "soon", "normal"):
        reply = api("tax_clerk").post(
            "/sheets/",
            {
                "resident": resident.pk,
                "to_desk": "jiritsu",
                "concerns": ["no_food"],
                "summary": "所持金がない",
                "urgency": urgency,
                "consent": jiritsu_consent.pk,
            },
        )
        assert reply.status == 201
        sheet = ConnectSheet.objects.get(pk=reply.body["id"])
        assert sheet.ack_due_at == sla.ack_due_at(sheet.sent_at, urgency)
        assert datetime.datetime.fromisoformat(reply.body["ack_due_at"]) == sheet.ack_due_at


def test_resend_restarts_the_clock(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    api("consult1").act(sheet_id, "return", {"reason": "確認"})
    ConnectSheet.objects.filter(pk=sheet_id).update(ack_due_at=at("2020-01-06 09:30"))

    api("tax_clerk").act(sheet_id, "resend", {})

    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.ack_due_at == sla.ack_due_at(sheet.owner_since, "urgent")
    assert sheet.ack_due_at > sheet.owner_since
