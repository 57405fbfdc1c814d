"""The monthly report's no-drop figures (issue 20), hand-computed on three December sheets:

- A (収納課 → jiritsu, resident R1): accepted 1 Dec (first contact due Fri 4 Dec 17:15);
  tried 3 Dec (no answer), reached 3 Dec, connected, closed 4 Dec: 2 attempts, deadline met;
- B (国保年金課 → jiritsu, R1): linked to A (one case), closed with it; never accepted;
- C (収納課 → jiritsu, R2): accepted 1 Dec (due 4 Dec), first attempt 7 Dec (late), reached,
  connected, then no attempt: stalled on 8 Jan.

Report for December as of 10 Jan: 3 sheets, 2 cases, 1 stalled; first-contact deadline due 2,
met 1 (share 0.5); connected sheets 2 with 3 attempts: 1.5 per connected sheet."""

from __future__ import annotations

import datetime

from referral_hub.handoffs import services
from referral_hub.handoffs.contact_attempts import record_attempt
from referral_hub.handoffs.periodic import sweep_escalations
from referral_hub.reports.figures import monthly_report
from tests.fixtures_sheets import Api, look_up, make_consent, make_resident, send_ok

JST = datetime.timezone(datetime.timedelta(hours=9))


def test_follow_up_figures_count_linked_sheets_once_as_a_case(demo, clock):
    tax, nhi, desk = demo.user("tax_clerk"), demo.user("nhi_clerk"), demo.user("consult1")
    lead = demo.user("consult_lead")
    clock.now = clock.real  # residents, consents and lookups near the real time
    r1, r2 = make_resident(tax), make_resident(tax)
    look_up(nhi, r1)
    c1, c1b, c2 = (
        make_consent(tax, r1, ["jiritsu"]),
        make_consent(nhi, r1, ["jiritsu"]),
        make_consent(tax, r2, ["jiritsu"]),
    )
    clock.set(2026, 12, 1, 9, 0)
    tax_api = Api(tax)  # tokens issued on the frozen clock's day
    a = send_ok(tax_api, r1, c1)
    c = send_ok(tax_api, r2, c2)
    clock.set(2026, 12, 1, 10, 30)
    for sheet in (a, c):
        services.acknowledge(lead, sheet)
        services.accept(lead, sheet, desk.pk)
    clock.set(2026, 12, 2, 9, 0)
    b = send_ok(Api(nhi), r1, c1b)

    clock.set(2026, 12, 3, 10, 0)
    record_attempt(desk, a, channel="phone", result="no_answer")
    clock.set(2026, 12, 3, 15, 0)
    record_attempt(desk, a, channel="phone", result="reached")
    services.mark_connected(desk, a, "面談開始")
    clock.set(2026, 12, 4, 10, 0)
    services.close_sheet(desk, a, "connected_to_support")

    clock.set(2026, 12, 7, 10, 0)
    record_attempt(desk, c, channel="visit", result="reached")
    services.mark_connected(desk, c, "面談開始")
    assert sweep_escalations(datetime.datetime(2027, 1, 8, 9, 0, tzinfo=JST))["stalled"] == 1

    report = monthly_report(
        datetime.date(2026, 12, 1),
        department_ids=None,
        as_of=datetime.datetime(2027, 1, 10, 9, 0, tzinfo=JST),
    )
    assert report["sheets"] == 3
    assert report["follow_up"] == {
        "cases": 2,
        "stalled": 1,
        "first_contact_deadline": {"due": 2, "met": 1, "met_share": 0.5},
        "attempts_per_connected_sheet": {"connected_sheets": 2, "attempts": 3, "mean": 1.5},
    }
    assert {o["code"]: o["sheets"] for o in report["by_outcome"]}["connected_to_support"] == 2
    assert b != a
