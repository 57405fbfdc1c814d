"""Review cards (issue 18): the officer decides 承認/指摘 seeing the justification, the sheet
number, the categories, the sender and the recipient, and can open what was disclosed
(audited as a review read)."""

from __future__ import annotations

import pytest
from django.test import Client

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import send_ok

pytestmark = pytest.mark.django_db

REASON = "本人が窓口で体調を崩し、至急つなぐ必要があった"


@pytest.fixture
def reviewed(demo, api, resident):
    sheet_id = send_ok(
        api("tax_clerk"), resident, None, legal_basis="vital_interest", justification=REASON
    )
    review = DisclosureReview.objects.get(
        event__action="sheet.send", event__target_id=str(sheet_id)
    )
    return ConnectSheet.objects.get(pk=sheet_id), review


def test_review_api_shows_the_facts_of_the_disclosure(api, reviewed):
    sheet, review = reviewed
    reply = api("privacy_officer").get(f"/audit/reviews/{review.pk}/")
    assert reply.status == 200, reply.body
    facts = reply.body["facts"]
    assert facts["sheet_number"] == sheet.number
    assert facts["justification"] == REASON
    assert facts["sender"] == "収納課 収納 太郎"
    assert facts["recipient"] == "自立相談支援窓口"
    assert set(facts["categories"]) >= {"identity", "concern"}
    listed = api("privacy_officer").get("/audit/reviews/").body["results"]
    assert listed[0]["facts"]["sheet_number"] == sheet.number


def test_review_page_shows_the_card_and_opens_what_was_disclosed(demo, reviewed):
    sheet, review = reviewed
    client = Client()
    client.force_login(demo.user("privacy_officer"))
    page = client.get("/audit/reviews/").content.decode()
    assert sheet.number in page and REASON in page and "収納課" in page
    assert f"/audit/reviews/{review.pk}/disclosed/" in page
    opened = client.get(f"/audit/reviews/{review.pk}/disclosed/")
    assert opened.status_code == 200
    assert "市税の滞納" in opened.content.decode()
    read = AuditEvent.objects.filter(action="disclosure_review.read").latest("seq")
    assert read.target_id == str(review.pk)
    assert read.resident_id == sheet.resident_id
    assert read.details["sheet"] == sheet.pk


def test_only_the_privacy_officer_opens_what_was_disclosed(demo, reviewed):
    _, review = reviewed
    client = Client()
    client.force_login(demo.user("consult_lead"))
    assert client.get(f"/audit/reviews/{review.pk}/disclosed/").status_code == 403
    assert AuditEvent.objects.filter(
        action="disclosure_review.read", allowed=False, refusal_code="permission_denied"
    ).exists()
