"""The gate's non-recording answers for pages (issue 16, input 10): ``redirect_targets`` and
``may_upload`` decide like the recording functions and write no audit row."""

from __future__ import annotations

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.directory.models import Desk
from referral_hub.handoffs import selectors, services
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok


def _sheet(demo, categories=None) -> ConnectSheet:
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="門番", given_name="次郎")
    consent = make_consent(clerk, resident, ["jiritsu", "seikatsu_hogo"], categories)
    return ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent))


def _targets(actor, sheet: ConnectSheet) -> dict[str, tuple[bool, str]]:
    answers = policy.redirect_targets(
        actor,
        selectors.facts_of(sheet),
        sheet.resident,
        Desk.objects.filter(is_active=True),
        categories=sheet.categories,
        basis=sheet.legal_basis,
        consent=sheet.consent,
        justification=sheet.justification,
    )
    return {desk.code: (d.allowed, d.code) for desk, d in answers}


def test_redirect_targets_follow_the_consent_and_the_redirect_back_rule_without_audit(demo):
    sheet = _sheet(demo)
    before = AuditEvent.objects.count()
    targets = _targets(demo.user("consult1"), sheet)
    assert "jiritsu" not in targets
    assert targets["seikatsu_hogo"] == (True, "")
    assert targets["kakei"] == (False, "consent_scope")
    services.redirect_sheet(demo.user("consult1"), sheet.pk, demo.desk("seikatsu_hogo"), "保護")
    sheet.refresh_from_db()
    count = AuditEvent.objects.count()
    assert _targets(demo.user("hogo_staff"), sheet)["jiritsu"] == (False, "lead_required")
    assert AuditEvent.objects.count() == count
    assert count > before


def test_may_upload_needs_attachments_in_the_consent(demo):
    for categories, allowed in ((None, False), (["identity", "concern", "attachments"], True)):
        sheet = _sheet(demo, categories)
        for user in ("consult1", "tax_clerk"):
            decision = policy.may_upload(
                demo.user(user),
                selectors.facts_of(sheet),
                sheet.resident,
                sheet.owner_desk,
                basis=sheet.legal_basis,
                consent=sheet.consent,
            )
            assert decision.allowed is allowed, (user, categories)
            assert decision.code == ("" if allowed else "consent_scope")
