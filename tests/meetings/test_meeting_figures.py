"""Support-meeting figures (issue 17): meetings held, residents discussed and disclosures per
legal basis per month, checked against counts worked out by hand."""

from __future__ import annotations

import datetime

from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.meetings.models import MeetingCase, SupportMeeting
from referral_hub.reports.meeting_figures import support_meeting_report
from referral_hub.reports.periods import TOKYO, fiscal_year_of
from referral_hub.vault.keys import new_data_key
from tests.fixtures_sheets import make_resident


def _meeting(lead, held_on: datetime.date, residents) -> SupportMeeting:
    meeting = SupportMeeting.objects.create(
        data_key=new_data_key(),
        law="art9_jiritsu",
        name="集計用",
        convened_by=lead,
        held_on=held_on,
        access_until=timezone.now() + datetime.timedelta(days=30),
    )
    for resident in residents:
        MeetingCase.objects.create(
            meeting=meeting,
            resident=resident,
            reason="検討",
            added_by=lead,
            added_at=timezone.now(),
        )
    return meeting


def test_meetings_residents_and_disclosures_per_month_by_hand(demo, api):
    lead = demo.user("consult_lead")
    clerk = demo.user("tax_clerk")
    r1, r2 = make_resident(clerk), make_resident(clerk, family_kana="サトウ")
    today = timezone.localtime(timezone.now(), TOKYO).date()
    fy = fiscal_year_of(today)  # April fy – March fy+1
    _meeting(lead, datetime.date(fy, 4, 3), [r1, r2])  # April: 2 residents
    _meeting(lead, datetime.date(fy, 4, 20), [r1])  # April: r1 again, still 2 distinct
    _meeting(lead, datetime.date(fy, 5, 7), [r1])  # May: 1 resident
    _meeting(lead, datetime.date(fy, 3, 31), [r2])  # the previous fiscal year: not counted
    _meeting(lead, today + datetime.timedelta(days=40), [r2])  # planned, not held yet
    # Disclosures recorded this month: 2 support_meeting, 1 consent, 1 vital_interest; a
    # refusal and an agenda read (no disclosure verb) are not disclosures.
    for basis, action in [
        ("support_meeting", "sheet.send"),
        ("support_meeting", "sheet.read"),
        ("consent", "sheet.read"),
        ("vital_interest", "sheet.redirect"),
    ]:
        record(action, actor=clerk, resident_id=r1.pk, legal_basis=basis)
    record("sheet.send", actor=clerk, resident_id=r1.pk, allowed=False, refusal_code="no_basis")
    record(
        "support_meeting.agenda_read", actor=clerk, resident_id=r1.pk, legal_basis="support_meeting"
    )

    report = support_meeting_report(fy, as_of=timezone.now())

    months = {m["month"]: m for m in report["months"]}
    this_month = f"{today.year:04d}-{today.month:02d}"
    assert months[this_month]["disclosures"] == {
        "consent": 1,
        "support_meeting": 2,
        "vital_interest": 1,
    }
    assert report["totals"]["disclosures"] == {
        "consent": 1,
        "support_meeting": 2,
        "vital_interest": 1,
    }
    april, may = months[f"{fy}-04"], months[f"{fy}-05"]
    assert (april["meetings_held"], april["residents_discussed"]) == (2, 2)
    assert (may["meetings_held"], may["residents_discussed"]) == (1, 1)
    assert report["totals"]["meetings_held"] == 3  # the planned one is not held yet
    assert report["totals"]["residents_discussed"] == 2
    assert len(report["months"]) == 12


def test_support_meeting_report_api_is_municipality_wide_roles_only(demo, api):
    assert api("consult_lead").get("/reports/support-meetings/", year="2026").status == 200
    assert api("privacy_officer").get("/reports/support-meetings/").status == 200
    refused = api("tax_clerk").get("/reports/support-meetings/")
    assert (refused.status, refused.code) == (403, "reports_forbidden")
    assert api("consult_lead").get("/reports/support-meetings/", year="20x6").status == 400
