"""The privacy officer's pages use the audit app; every look at the log is itself logged, and
anyone else is refused (and the refusal recorded)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text

SIGNED_FORM = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n" + b"signed consent" * 20

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


def test_disclosure_report_links_a_consent_based_send_to_its_consent_page(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"], method="signed_form")
    client = browser_as("tax_clerk")
    upload = SimpleUploadedFile("同意書.pdf", SIGNED_FORM)
    response = client.post(f"/api/v1/consents/{consent.pk}/evidence/", {"file": upload})
    assert response.status_code == 201, response.content
    send_ok(Api(clerk), resident, consent)

    officer = browser_as("privacy_officer")
    report = text(officer.get("/audit/", {"resident": resident.pk}))
    assert f'href="/audit/consents/{consent.pk}/"' in report
    search = text(officer.get("/audit/search/", {"resident": resident.pk}))
    assert f'href="/audit/consents/{consent.pk}/"' in search
    api_rows = officer.get(f"/api/v1/residents/{resident.pk}/disclosures/").json()["results"]
    assert {row["consent"] for row in api_rows if row["action"] == "sheet.send"} == {consent.pk}

    page = text(officer.get(f"/audit/consents/{consent.pk}/"))
    assert 'data-status="active"' in page
    assert "自立相談支援窓口" in page and "署名した同意書" in page and "同意書.pdf" in page
    [evidence] = consent.evidence.all()
    link = f"/api/v1/consent-evidence/{evidence.pk}/content/"
    assert f'href="{link}"' in page
    # Listing the form is not opening it; opening it is checked and recorded by the consent API.
    assert not AuditEvent.objects.filter(action="consent.evidence_read").exists()
    opened = officer.get(link)
    assert opened.status_code == 200 and b"".join(opened.streaming_content) == SIGNED_FORM
    assert AuditEvent.objects.filter(
        action="consent.evidence_read", actor_id=demo.user("privacy_officer").pk, allowed=True
    ).exists()


def test_consent_page_is_for_the_privacy_officer_only(demo, browser_as):
    clerk = demo.user("tax_clerk")
    consent = make_consent(clerk, make_resident(clerk), ["jiritsu"])
    assert browser_as("consult_lead").get(f"/audit/consents/{consent.pk}/").status_code == 403
    assert AuditEvent.objects.filter(
        action="consent.read", target_id=str(consent.pk), refusal_code="permission_denied"
    ).exists()
    page = text(browser_as("privacy_officer").get(f"/audit/consents/{consent.pk}/"))
    assert "口頭同意のため、同意書はありません。" in page and "収納 花子" in page
    assert browser_as("privacy_officer").get("/audit/consents/999999/").status_code == 404
