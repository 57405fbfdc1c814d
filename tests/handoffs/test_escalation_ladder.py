"""The first-contact deadline and the escalation ladder (issue 20), on a frozen clock across
weekends, public holidays and the year-end closure: each rung once, the right people alerted,
ids only; a sheet without an attempt for 30 days is flagged stalled."""

from __future__ import annotations

import datetime

from referral_hub.handoffs import services
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.handoffs.periodic import sweep_escalations
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import Api, send_ok
from tests.handoffs.nodrop_helpers import attempt

JST = datetime.timezone(datetime.timedelta(hours=9))


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)  # type: ignore[misc]


def _accepted_by_consult1(demo, api, resident, consent, urgency: str) -> int:
    sheet_id = send_ok(Api(demo.user("tax_clerk")), resident, consent, urgency=urgency)
    lead = demo.user("consult_lead")
    services.acknowledge(lead, sheet_id)
    services.accept(lead, sheet_id, demo.user("consult1").pk)
    return sheet_id


def _alerted(sheet_id: int, rung: int) -> set[str]:
    return set(
        InboxEvent.objects.filter(sheet_id=sheet_id, extra__rung=rung).values_list(
            "user__username", flat=True
        )
    )


def _rungs(sheet_id: int) -> list[str]:
    return list(
        SheetEvent.objects.filter(sheet_id=sheet_id, kind="escalated").values_list(
            "outcome", flat=True
        )
    )


def test_normal_sheet_climbs_each_rung_once_across_a_weekend_and_a_holiday(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2027, 1, 7, 10, 0)  # Thursday; 9-10 weekend, 11 January 成人の日
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "normal")
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    assert sheet.first_contact_due_at == at(2027, 1, 13, 17, 15)  # 3rd working day: Wed 13

    assert sweep_escalations(at(2027, 1, 13, 17, 0))["escalated"] == 0
    assert sweep_escalations(at(2027, 1, 13, 17, 30))["escalated"] == 1
    assert _alerted(sheet_id, 1) == {"consult1"}  # rung 1: the handler
    assert sweep_escalations(at(2027, 1, 14, 17, 0))["escalated"] == 0
    assert sweep_escalations(at(2027, 1, 14, 17, 30))["escalated"] == 1
    assert _alerted(sheet_id, 2) == {"consult_lead"}  # rung 2: the desk's leads
    # Rung 3 three working days after the deadline: Thu 14, Fri 15, (weekend), Mon 18.
    assert sweep_escalations(at(2027, 1, 18, 17, 0))["escalated"] == 0
    assert sweep_escalations(at(2027, 1, 18, 17, 30))["escalated"] == 1
    assert sweep_escalations(at(2027, 1, 25, 9, 0))["escalated"] == 0
    assert _rungs(sheet_id) == ["rung_1", "rung_2", "rung_3"]
    assert ConnectSheet.objects.get(pk=sheet_id).escalation_rung == 3
    # Alerts carry ids, statuses and the rung only.
    for event in InboxEvent.objects.filter(sheet_id=sheet_id, extra__alert="first_contact_late"):
        assert set(event.extra) == {"owner_desk", "urgency", "alert", "rung"}


def test_section_chief_gets_the_third_rung(demo, api, resident, jiritsu_consent, clock):
    chief = demo.add_staff("section_chief_x", "clerk", department="shuno")
    desk = demo.desk("jiritsu")
    desk.section_chief = chief
    desk.save()
    clock.set(2027, 1, 7, 10, 0)
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "normal")
    assert sweep_escalations(at(2027, 1, 19, 9, 0))["escalated"] == 3  # all rungs at once
    assert _alerted(sheet_id, 3) == {"section_chief_x"}


def test_urgent_sheet_accepted_on_saturday_is_due_after_the_holiday(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2026, 11, 21, 11, 0)  # Saturday; 23 November 勤労感謝の日 (Monday)
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "urgent")
    assert ConnectSheet.objects.get(pk=sheet_id).first_contact_due_at == at(2026, 11, 24, 17, 15)
    assert sweep_escalations(at(2026, 11, 23, 20, 0))["escalated"] == 0
    assert sweep_escalations(at(2026, 11, 24, 17, 16))["escalated"] == 1


def test_urgent_sheet_accepted_in_office_hours_is_due_the_same_day(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2026, 12, 2, 9, 0)  # Wednesday
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "urgent")
    assert ConnectSheet.objects.get(pk=sheet_id).first_contact_due_at == at(2026, 12, 2, 17, 15)


def test_soon_sheet_skips_the_year_end_closure_for_the_leads_rung(
    demo, api, resident, jiritsu_consent, clock
):
    clock.set(2026, 12, 25, 16, 0)  # Friday; 29 Dec - 3 Jan closed
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "soon")
    assert ConnectSheet.objects.get(pk=sheet_id).first_contact_due_at == at(2026, 12, 28, 17, 15)
    assert sweep_escalations(at(2026, 12, 29, 9, 0))["escalated"] == 1
    assert sweep_escalations(at(2027, 1, 3, 23, 0))["escalated"] == 0  # still closed
    assert sweep_escalations(at(2027, 1, 4, 17, 30))["escalated"] == 1  # leads: Mon 4 Jan
    assert _rungs(sheet_id) == ["rung_1", "rung_2"]


def test_an_attempt_stops_the_ladder(demo, api, resident, jiritsu_consent, clock):
    clock.set(2027, 1, 7, 10, 0)
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "normal")
    assert attempt(Api(demo.user("consult1")), sheet_id).status == 201
    assert sweep_escalations(at(2027, 1, 20, 9, 0))["escalated"] == 0
    assert _rungs(sheet_id) == []


def test_no_attempt_for_thirty_days_flags_stalled_once(demo, api, resident, jiritsu_consent, clock):
    clock.set(2027, 2, 1, 10, 0)
    sheet_id = _accepted_by_consult1(demo, api, resident, jiritsu_consent, "normal")
    assert attempt(Api(demo.user("consult1")), sheet_id).status == 201
    assert sweep_escalations(at(2027, 3, 3, 9, 0))["stalled"] == 0  # 29 days 23 hours
    assert sweep_escalations(at(2027, 3, 3, 10, 1))["stalled"] == 1
    assert sweep_escalations(at(2027, 3, 10, 10, 0))["stalled"] == 0
    assert ConnectSheet.objects.get(pk=sheet_id).stalled_at == at(2027, 3, 3, 10, 1)
    stalled_to = set(
        InboxEvent.objects.filter(sheet_id=sheet_id, extra__alert="stalled").values_list(
            "user__username", flat=True
        )
    )
    assert stalled_to == {"consult1", "consult_lead"}
    # The sender's timeline never shows the desk's ladder.
    kinds = [e["kind"] for e in api("tax_clerk").get(f"/sheets/{sheet_id}/events/").body]
    assert "stalled" not in kinds and "escalated" not in kinds
    # A new attempt clears the flag.
    clock.set(2027, 3, 11, 10, 0)
    assert attempt(Api(demo.user("consult1")), sheet_id).status == 201
    assert ConnectSheet.objects.get(pk=sheet_id).stalled_at is None
