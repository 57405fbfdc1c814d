"""The anomaly report: many residents in a day, reads outside office hours, reads of sheets
owned by another desk."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from referral_hub.audit.anomalies import anomalies_on
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent

from .conftest import AUDIT_URLCONF

pytestmark = [pytest.mark.django_db, pytest.mark.urls(AUDIT_URLCONF)]

TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = date(2026, 4, 1)
SATURDAY = date(2026, 4, 4)
SHOWA_DAY = date(2026, 4, 29)  # a public holiday on a Wednesday


@pytest.fixture
def read_at(monkeypatch, user):
    """``read_at(day, "HH:MM", resident, ...)`` records a read as if it happened then."""

    def read(
        day,
        hhmm,
        resident_id,
        *,
        desk="jiritsu",
        owner_desk="jiritsu",
        allowed=True,
        action="sheet.read",
    ):
        hour, minute = map(int, hhmm.split(":"))
        at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)
        monkeypatch.setattr(timezone, "now", lambda: at)
        try:
            return record(
                action,
                actor=user,
                actor_desk=desk,
                target_type="sheet",
                target_id=resident_id,
                resident_id=resident_id,
                legal_basis="consent" if allowed else "",
                allowed=allowed,
                refusal_code="" if allowed else "consent_scope",
                details={"owner_desk": owner_desk},
            )
        finally:
            monkeypatch.undo()

    return read


def test_staff_opening_more_residents_than_the_threshold(read_at, user, django_user_model):
    for resident in (1, 2, 3, 3, 3):
        read_at(WEDNESDAY, "10:00", resident)
    read_at(WEDNESDAY, "10:00", 4, allowed=False)  # refused reads open nothing
    read_at(date(2026, 4, 2), "10:00", 5)  # another day
    report = anomalies_on(WEDNESDAY, threshold=2)
    assert report.many_residents == [
        {
            "actor_id": user.pk,
            "actor_username": "consult1",
            "actor_desks": ["jiritsu"],
            "residents": 3,
        }
    ]
    assert anomalies_on(WEDNESDAY, threshold=3).many_residents == []


def test_reads_outside_office_hours(read_at):
    early = read_at(WEDNESDAY, "08:29", 1)
    read_at(WEDNESDAY, "08:30", 2)
    read_at(WEDNESDAY, "17:14", 3)
    late = read_at(WEDNESDAY, "17:15", 4)
    night = read_at(WEDNESDAY, "23:59", 5)
    assert [row["seq"] for row in anomalies_on(WEDNESDAY).outside_office_hours] == [
        early.seq,
        late.seq,
        night.seq,
    ]


def test_every_read_on_a_weekend_or_holiday_is_outside_office_hours(read_at):
    saturday = read_at(SATURDAY, "10:00", 1)
    holiday = read_at(SHOWA_DAY, "10:00", 1)
    assert [row["seq"] for row in anomalies_on(SATURDAY).outside_office_hours] == [saturday.seq]
    report = anomalies_on(SHOWA_DAY)
    assert report.working_day is False
    assert [row["seq"] for row in report.outside_office_hours] == [holiday.seq]


def test_office_hours_come_from_settings(read_at, settings):
    settings.OFFICE_HOURS = "09:00-17:00"
    early = read_at(WEDNESDAY, "08:45", 1)
    assert [row["seq"] for row in anomalies_on(WEDNESDAY).outside_office_hours] == [early.seq]


def test_reads_of_sheets_owned_by_another_desk(read_at):
    read_at(WEDNESDAY, "10:00", 1, desk="jiritsu", owner_desk="jiritsu")
    foreign = read_at(WEDNESDAY, "10:00", 2, desk="jiritsu", owner_desk="kakei")
    read_at(WEDNESDAY, "10:00", 3, desk="jiritsu", owner_desk="kakei", allowed=False)
    rows = anomalies_on(WEDNESDAY).foreign_desk_reads
    assert [(row["seq"], row["owner_desk"], row["actor_desk"]) for row in rows] == [
        (foreign.seq, "kakei", "jiritsu")
    ]


def test_the_gates_recipient_desk_names_the_owner_and_the_reader_may_have_several_places(
    read_at, user, monkeypatch
):
    at = datetime(2026, 4, 1, 10, 0, tzinfo=TOKYO)
    monkeypatch.setattr(timezone, "now", lambda: at)
    own = record(
        "attachment.read",
        actor=user,
        actor_desk="jiritsu,kakei",
        resident_id=1,
        legal_basis="consent",
        details={"recipient_desk": "kakei"},
    )
    foreign = record(
        "attachment.read",
        actor=user,
        actor_desk="jiritsu,kakei",
        resident_id=1,
        legal_basis="consent",
        details={"recipient_desk": "houkatsu"},
    )
    monkeypatch.undo()
    rows = anomalies_on(WEDNESDAY).foreign_desk_reads
    assert [row["seq"] for row in rows] == [foreign.seq]
    assert own.seq not in [row["seq"] for row in rows]


def test_anomaly_api_reports_and_is_audited(officer_client, officer, read_at):
    for resident in (1, 2, 3):
        read_at(WEDNESDAY, "07:00", resident, owner_desk="kakei")
    response = officer_client.get("/api/v1/audit/anomalies/?date=2026-04-01&threshold=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["date"], body["threshold"], body["office_hours"], body["working_day"]) == (
        "2026-04-01",
        2,
        "08:30-17:15",
        True,
    )
    assert body["many_residents"][0]["residents"] == 3
    assert len(body["outside_office_hours"]) == 3 and len(body["foreign_desk_reads"]) == 3
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_id) == ("audit.anomalies", officer.pk)
    assert event.details["many_residents"] == 1
    assert officer_client.get("/api/v1/audit/anomalies/?date=April").status_code == 400


def test_year_end_closure_is_a_closed_day_in_the_anomaly_report(officer_client, read_at):
    """Issue 16, input 4: the SLA treats 29 Dec – 3 Jan as closed; so does the anomaly report,
    and a read at 10:00 on 30 December is outside office hours."""
    closure_read = read_at(date(2026, 12, 30), "10:00", 1)
    response = officer_client.get("/api/v1/audit/anomalies/?date=2026-12-30")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["working_day"] is False
    assert [row["seq"] for row in body["outside_office_hours"]] == [closure_read.seq]


def test_the_anomaly_report_and_the_sla_share_one_calendar(read_at):
    from referral_hub import office_calendar
    from referral_hub.handoffs import sla

    first_day = date(2026, 12, 26)
    days = [date.fromordinal(first_day.toordinal() + offset) for offset in range(15)]
    closed = [day for day in days if not anomalies_on(day).working_day]
    assert [day.isoformat() for day in closed] == [
        "2026-12-26",  # Saturday
        "2026-12-27",  # Sunday
        "2026-12-29",  # 年末年始 …
        "2026-12-30",
        "2026-12-31",
        "2027-01-01",  # … and 元日
        "2027-01-02",
        "2027-01-03",
        "2027-01-09",  # Saturday
    ]
    assert closed == [day for day in days if not office_calendar.is_working_day(day)]
    # The SLA's next working day after the last open day of the year is the first open one.
    due = sla.ack_due_at(datetime(2026, 12, 28, 10, 0, tzinfo=TOKYO), "soon")
    assert due == datetime(2027, 1, 4, 17, 15, tzinfo=TOKYO)
