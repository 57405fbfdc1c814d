"""Each disclosure of a resident's data is one allowed audit event that names its legal basis
(DESIGN.md invariant 1: "both outcomes are audited"; the privacy officer answers "who saw my
data, on which basis" from these events)."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from tests.fixtures_sheets import drive_to, send_ok


def disclosures(resident_id: int) -> list[tuple[str, str, str]]:
    return [
        (e.action, e.legal_basis, e.details.get("recipient_desk", ""))
        for e in AuditEvent.objects.filter(resident_id=resident_id).disclosures()
    ]


def test_a_send_is_one_disclosure_on_its_basis(demo, api, resident, jiritsu_consent):
    send_ok(api("tax_clerk"), resident, jiritsu_consent)

    assert disclosures(resident.pk) == [("sheet.send", "consent", "jiritsu")]


def test_a_redirect_is_one_disclosure_on_its_basis(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)

    reply = api("consult1").act(
        sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"}
    )

    assert reply.status == 200
    assert disclosures(resident.pk) == [
        ("sheet.send", "consent", "jiritsu"),
        ("sheet.redirect", "consent", "seikatsu_hogo"),
    ]


def test_a_resend_is_one_disclosure_on_its_basis(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)
    drive_to(demo, sheet_id, "returned")

    assert api("tax_clerk").act(sheet_id, "resend", {}).status == 200

    assert disclosures(resident.pk) == [
        ("sheet.send", "consent", "jiritsu"),
        ("sheet.resend", "consent", "jiritsu"),
    ]


def test_no_disclosure_is_recorded_without_a_legal_basis(demo, api, resident, full_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    api("consult1").get(f"/sheets/{sheet_id}/")
    drive_to(demo, sheet_id, "returned")
    api("tax_clerk").act(sheet_id, "resend", {})
    api("consult1").act(sheet_id, "redirect", {"to_desk": "seikatsu_hogo", "reason": "保護相談"})
    api("hogo_staff").get(f"/sheets/{sheet_id}/")

    unexplained = [
        (e.seq, e.action)
        for e in AuditEvent.objects.filter(resident_id=resident.pk).disclosures()
        if not e.legal_basis
    ]
    assert unexplained == []
