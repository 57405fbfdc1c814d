"""The overdue sweep records the overdue event once per sheet and owner period, and notifies
the owner desk, its leads and the sender (DESIGN.md, Urgency and SLA)."""

from __future__ import annotations

import datetime
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.handoffs.services import sweep_overdue
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import drive_to, send_ok

HOUR = datetime.timedelta(hours=1)


def due(sheet_id: int) -> datetime.datetime:
    return ConnectSheet.objects.get(pk=sheet_id).ack_due_at


def overdue_events(sheet_id: int) -> list[str]:
    return list(
        SheetEvent.objects.filter(sheet_id=sheet_id, kind="overdue").values_list(
            "to_desk__code", flat=True
        )
    )


def notified(sheet_id: int) -> set[str]:
    return set(
        InboxEvent.objects.filter(sheet_id=sheet_id, type="sheet.overdue").values_list(
            "user__username", flat=True
        )
    )


def test_overdue_sheet_is_recorded_once_and_everyone_concerned_is_told(
    demo, api, resident, jiritsu_consent
):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    demo.add_staff("tax_clerk2", "clerk", department="shuno")

    assert sweep_overdue(now=due(sheet_id) - datetime.timedelta(minutes=1)) == 0
    assert sweep_overdue(now=due(sheet_id) + datetime.timedelta(minutes=1)) == 1
    assert sweep_overdue(now=due(sheet_id) + 2 * HOUR) == 0
    assert sweep_overdue(now=due(sheet_id) + 48 * HOUR) == 0

    assert overdue_events(sheet_id) == ["jiritsu"]
    # Owner desk staff, its lead, the sender and the sender's department colleagues.
    assert notified(sheet_id) == {"consult1", "consult2", "consult_lead", "tax_clerk", "tax_clerk2"}
    assert InboxEvent.objects.filter(type="sheet.overdue").count() == 5
    assert AuditEvent.objects.filter(action="sheet.overdue", target_id=str(sheet_id)).count() == 1


def test_acknowledged_sheets_are_never_overdue(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "acknowledged")

    assert sweep_overdue(now=due(sheet_id) + 24 * HOUR) == 0
    assert overdue_events(sheet_id) == []


def test_a_new_owner_period_can_be_overdue_again_once(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent, urgency="soon")
    assert sweep_overdue(now=due(sheet_id) + HOUR) == 1
    api("consult1").act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護"})

    assert sweep_overdue(now=timezone.now()) == 0
    assert sweep_overdue(now=due(sheet_id) + HOUR) == 1
    assert sweep_overdue(now=due(sheet_id) + 2 * HOUR) == 0

    assert overdue_events(sheet_id) == ["jiritsu", "seikatsu_hogo"]
    assert "hogo_staff" in notified(sheet_id)


def test_resent_sheet_starts_a_new_owner_period(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    assert sweep_overdue(now=due(sheet_id) + HOUR) == 1
    api("consult1").act(sheet_id, "return", {"reason": "確認"})
    assert sweep_overdue(now=due(sheet_id) + 10 * HOUR) == 0  # returned: the sender's turn

    api("tax_clerk").act(sheet_id, "resend", {})

    assert sweep_overdue(now=due(sheet_id) + HOUR) == 1
    assert overdue_events(sheet_id) == ["jiritsu", "jiritsu"]


def test_overdue_is_computed_and_filterable_in_the_inbox(demo, api, resident, jiritsu_consent):
    late = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    on_time = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="normal")
    ConnectSheet.objects.filter(pk=late).update(ack_due_at=timezone.now() - HOUR)

    def ids(**params):
        rows = api("consult1").get("/sheets/", box="inbox", **params).body["results"]
        return {row["id"]: row["overdue"] for row in rows}

    assert ids(overdue="true") == {late: True}
    assert ids(overdue="false") == {on_time: False}
    assert ids() == {late: True, on_time: False}
    api("consult1").act(late, "acknowledge")
    assert ids(overdue="true") == {}


def test_sweep_overdue_command_records_and_reports(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent, urgency="urgent")
    ConnectSheet.objects.filter(pk=sheet_id).update(ack_due_at=timezone.now() - HOUR)
    out = StringIO()

    call_command("sweep_overdue", stdout=out)
    call_command("sweep_overdue", stdout=out)

    assert overdue_events(sheet_id) == ["jiritsu"]
    assert "1" in out.getvalue().splitlines()[0]
    assert "0" in out.getvalue().splitlines()[1]
