"""Suspension of use (利用停止) and the legal hold on retention (issue 18 acceptance)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Resident
from referral_hub.handoffs import services as sheet_services
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.rights import services
from tests.fixtures_sheets import send, send_ok
from tests.rights.conftest import register

pytestmark = pytest.mark.django_db


def _suspend(demo, resident) -> int:
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk, kind="suspension")
    services.decide_request(officer, request.pk, "suspended", "本人の請求どおり利用を停止")
    return request.pk


def test_suspension_refuses_a_new_sheet_with_use_suspended(demo, api, resident, full_consent):
    _suspend(demo, resident)
    reply = send(api("tax_clerk"), resident, full_consent)
    assert reply.status == 403
    assert reply.code == "use_suspended"
    assert "利用停止" in reply.body["detail"]
    assert not ConnectSheet.objects.filter(resident=resident).exists()
    refusal = AuditEvent.objects.filter(action="sheet.send", allowed=False).latest("seq")
    assert refusal.refusal_code == "use_suspended"
    assert refusal.resident_id == resident.pk


def test_suspension_also_stops_reads_of_existing_sheets(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    _suspend(demo, resident)
    reply = api("consult1").get(f"/sheets/{sheet_id}/")
    assert reply.status == 403
    assert reply.code == "use_suspended"


def test_vital_interest_still_passes_a_suspension(demo, api, resident):
    _suspend(demo, resident)
    reply = send(
        api("tax_clerk"),
        resident,
        None,
        legal_basis="vital_interest",
        justification="本人が窓口で倒れそうになり、至急の支援が必要",
    )
    assert reply.status == 201, reply.body


def test_lifting_the_suspension_restores_the_consent(demo, api, resident, full_consent):
    request_id = _suspend(demo, resident)
    assert send(api("tax_clerk"), resident, full_consent).code == "use_suspended"
    lifted = api("privacy_officer").post(f"/rights-requests/{request_id}/lift/", {"reason": "撤回"})
    assert lifted.status == 200, lifted.body
    assert lifted.body["use_suspended"] is False
    assert send(api("tax_clerk"), resident, full_consent).status == 201
    again = api("privacy_officer").post(f"/rights-requests/{request_id}/lift/", {})
    assert again.status == 409 and again.code == "not_suspended"


def _closed_long_ago(demo, api, resident, consent) -> int:
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    lead = demo.user("consult_lead")
    sheet_services.acknowledge(lead, sheet_id)
    sheet_services.close_sheet(lead, sheet_id, "resolved_by_information", "案内した")
    ConnectSheet.objects.filter(pk=sheet_id).update(
        closed_at=timezone.now() - datetime.timedelta(days=int(365.25 * 6))
    )
    Resident.objects.filter(pk=resident.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=int(365.25 * 6))
    )
    return sheet_id


def _retention() -> str:
    out = io.StringIO()
    call_command("apply_retention", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_retention_skips_a_resident_with_a_pending_request(demo, api, resident, full_consent):
    sheet_id = _closed_long_ago(demo, api, resident, full_consent)
    request = register(demo.user("privacy_officer"), resident.pk)
    out = _retention()
    assert f"skipped sheet {sheet_id} (resident {resident.pk}): legal hold" in out
    assert f"rights_request:{request.pk}:pending" in out
    assert "0 sheet(s) shredded" in out
    sheet = ConnectSheet.objects.select_related("data_key").get(pk=sheet_id)
    assert not sheet.data_key.is_shredded
    assert sheet.summary.startswith("市税の滞納")  # still readable
    assert Resident.objects.get(pk=resident.pk).family_name == "山田"


def test_retention_waits_the_hold_period_after_the_decision(
    demo, api, resident, full_consent, settings
):
    sheet_id = _closed_long_ago(demo, api, resident, full_consent)
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk)
    services.decide_request(officer, request.pk, "no_such_information", "")
    assert "decided" in _retention()
    assert not ConnectSheet.objects.get(pk=sheet_id).data_key.is_shredded
    settings.RIGHTS_LEGAL_HOLD_DAYS = 0
    from referral_hub.rights.models import RightsRequest

    RightsRequest.objects.filter(pk=request.pk).update(
        decided_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    out = _retention()
    assert "1 sheet(s) shredded" in out
    assert ConnectSheet.objects.get(pk=sheet_id).data_key.is_shredded
