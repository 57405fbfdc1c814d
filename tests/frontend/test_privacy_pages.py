"""The privacy officer's pages use the audit app; every look at the log is itself logged, and
anyone else is refused (and the refusal recorded)."""

from __future__ import annotations

import pytest

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text

PAGES = [
    "/audit/",
    "/audit/search/",
    "/audit/reviews/",
    "/audit/integrity/",
    "/audit/anomalies/",
]


@pytest.mark.parametrize("path", PAGES)
def test_only_the_privacy_officer_opens_audit_pages(demo, browser_as, path):
    response = browser_as("consult_lead").get(path)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        actor_id=demo.user("consult_lead").pk, allowed=False, refusal_code="permission_denied"
    ).exists()
    assert browser_as("privacy_officer").get(path).status_code == 200


def test_disclosure_report_by_sheet_number_lists_the_desk_read(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet = ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent))
    browser_as("consult1").get(f"/sheets/{sheet.pk}/")
    page = text(browser_as("privacy_officer").get("/audit/", {"sheet_number": sheet.number}))
    assert 'data-action="sheet.read"' in page
    assert "相談 一美" in page and "自立相談支援窓口" in page
    assert 'data-action="sheet.send"' in page and "収納課" in page
    assert AuditEvent.objects.filter(
        action="audit.disclosure_report", resident_id=resident.pk, allowed=True
    ).exists()


def test_unknown_sheet_number_is_explained_next_to_the_field(demo, browser_as):
    page = text(browser_as("privacy_officer").get("/audit/", {"sheet_number": "1999-000001"}))
    assert "このシート番号は見つかりません。" in page


def test_search_by_actor_links_to_the_resident_report(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    page = text(browser_as("privacy_officer").get("/audit/search/", {"actor": "tax_clerk"}))
    assert f"/audit/?resident={resident.pk}" in page
    assert AuditEvent.objects.filter(action="audit.search", allowed=True).exists()


def test_chain_verification_reports_ok(demo, browser_as):
    page = text(browser_as("privacy_officer").get("/audit/integrity/", {"mode": "full"}))
    assert "問題は見つかりませんでした。" in page


def test_refusal_page_is_in_japanese(demo, browser_as):
    response = browser_as("tax_clerk").get("/audit/search/")
    assert response.status_code == 403
    assert "このページを表示する権限がありません" in text(response)
