"""An action the lifecycle does not allow in the sheet's current status is answered 409
``invalid_transition`` and changes nothing (DESIGN.md, Sheet lifecycle)."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from tests.fixtures_sheets import PATHS, drive_to, send_ok

# Written out from DESIGN.md's diagram rather than imported from lifecycle.py, so the test
# checks the code against the contract and not against itself.
LEGAL: dict[str, set[str]] = {
    "acknowledge": {"sent"},
    "accept": {"acknowledged"},
    "contacted": {"accepted"},
    "connected": {"contacted"},
    "redirect": {"sent", "acknowledged", "accepted", "contacted", "connected"},
    "return": {"sent", "acknowledged"},
    "resend": {"returned"},
    "withdraw": {"sent", "acknowledged", "returned"},
    "close": {"acknowledged", "accepted", "contacted", "connected"},
}
SENDER_ACTIONS = {"resend", "withdraw"}
BODIES = {
    "acknowledge": None,
    "accept": {},
    "contacted": {"note": "連絡した"},
    "connected": {"note": "つながった"},
    "redirect": {"to_desk": "seikatsu_hogo", "reason": "生活保護の相談"},
    "return": {"reason": "確認したいことがあります"},
    "resend": {"note": "回答しました"},
    "withdraw": {"reason": "取下げ"},
    "close": {"outcome": "declined", "note": "本人が希望しない"},
}
ILLEGAL = [
    (status, action)
    for status in PATHS
    for action, sources in LEGAL.items()
    if status not in sources
]


def snapshot(sheet_id: int) -> tuple:
    sheet = ConnectSheet.objects.get(pk=sheet_id)
    return (
        sheet.status,
        sheet.owner_desk_id,
        sheet.handler_id,
        sheet.outcome,
        sheet.redirect_count,
        sheet.version,
        SheetEvent.objects.filter(sheet_id=sheet_id).count(),
    )


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_action_not_allowed_in_status_is_409_and_changes_nothing(
    demo, api, resident, full_consent, status, action
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, status)
    before = snapshot(sheet_id)
    allowed_before = AuditEvent.objects.filter(allowed=True).count()

    actor = "tax_clerk" if action in SENDER_ACTIONS else "consult_lead"
    reply = api(actor).act(sheet_id, action, BODIES[action])

    assert (reply.status, reply.code) == (409, "invalid_transition"), reply.body
    assert reply.body["detail"]
    assert snapshot(sheet_id) == before
    assert AuditEvent.objects.filter(allowed=True).count() == allowed_before


@pytest.mark.parametrize("status", ["acknowledged", "accepted", "contacted"])
def test_connected_to_support_needs_a_connected_sheet(demo, api, resident, full_consent, status):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, status)
    before = snapshot(sheet_id)

    reply = api("consult1").act(sheet_id, "close", {"outcome": "connected_to_support"})

    assert (reply.status, reply.code) == (409, "invalid_transition")
    assert snapshot(sheet_id) == before


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
def test_no_messages_on_a_finished_sheet(demo, api, resident, full_consent, status):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    drive_to(demo, sheet_id, status)

    reply = api("tax_clerk").post(f"/sheets/{sheet_id}/messages/", {"body": "その後どうですか"})

    assert (reply.status, reply.code) == (409, "invalid_transition")


def test_acting_on_a_sheet_that_does_not_exist_is_404(demo, api):
    reply = api("consult1").act(999_999, "acknowledge")

    assert (reply.status, reply.code) == (404, "not_found")
