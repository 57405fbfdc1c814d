"""The scanned signed form is stored encrypted; only a privacy officer opens it, and it is audited."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import ConsentEvidence
from referral_hub.consent.services import (
    ConsentInput,
    ResidentInput,
    record_consent,
    register_resident,
)
from referral_hub.directory.models import Desk

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n" + b"signed consent of a resident" * 10


def client_for(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def consent(demo):
    clerk = get_user_model().objects.get(username="tax_clerk")
    resident = register_resident(
        clerk, ResidentInput("山田", "花", "ヤマダ", "ハナ", datetime.date(1980, 1, 2))
    )
    return record_consent(
        clerk,
        ConsentInput(
            resident=resident,
            recipients=[Desk.objects.get(code="jiritsu")],
            categories=["identity", "concern"],
            purpose="相談のため",
            method="signed_form",
            witness="",
            valid_until=timezone.localdate() + datetime.timedelta(days=90),
        ),
    )


def test_clerk_uploads_signed_form_and_it_is_stored_as_ciphertext(consent, settings):
    response = client_for("tax_clerk").post(
        f"/api/v1/consents/{consent.pk}/evidence/",
        {"file": SimpleUploadedFile("同意書.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    stored = ConsentEvidence.objects.get()
    from referral_hub.vault.storage import attachment_storage

    with attachment_storage().open(stored.storage_name) as handle:
        assert b"signed consent" not in handle.read()
    assert (
        client_for("tax_clerk").get(f"/api/v1/consents/{consent.pk}/").json()["evidence"][0]["id"]
        == stored.pk
    )


def test_only_the_privacy_officer_opens_the_form_and_each_read_is_audited(consent):
    client_for("tax_clerk").post(
        f"/api/v1/consents/{consent.pk}/evidence/",
        {"file": SimpleUploadedFile("form.pdf", PDF)},
        format="multipart",
    )
    evidence_id = ConsentEvidence.objects.get().pk
    refused = client_for("consult1").get(f"/api/v1/consent-evidence/{evidence_id}/content/")
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_allowed"
    response = client_for("privacy_officer").get(f"/api/v1/consent-evidence/{evidence_id}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    reads = AuditEvent.objects.filter(action="consent.evidence_read").order_by("seq")
    assert [e.allowed for e in reads] == [False, True]


def test_disguised_executable_is_refused_and_nothing_is_stored(consent):
    response = client_for("tax_clerk").post(
        f"/api/v1/consents/{consent.pk}/evidence/",
        {"file": SimpleUploadedFile("form.pdf", b"MZ\x90\x00" + b"\x00" * 200)},
        format="multipart",
    )
    assert response.status_code == 415 and response.json()["code"] == "content_type_refused"
    assert not ConsentEvidence.objects.exists()
