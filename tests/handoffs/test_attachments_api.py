"""Attachments through the API: stored encrypted, typed by content, gated and audited."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.audit.models import AuditEvent
from referral_hub.consent import services as consent_services
from referral_hub.directory.models import Concern, Desk
from referral_hub.handoffs import services as sheet_services
from referral_hub.handoffs.models import Attachment
from referral_hub.vault.keys import shred

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n" + "山田太郎 滞納額 123,456円\n".encode() * 2000 + b"%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10


@pytest.fixture
def world(settings, storage_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--force", "--password", "test-pass-12345", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    clerk = users["tax_clerk"]
    jiritsu = Desk.objects.get(code="jiritsu")
    resident = consent_services.register_resident(
        clerk,
        consent_services.ResidentInput(
            family_name="山田",
            given_name="太郎",
            family_name_kana="ヤマダ",
            given_name_kana="タロウ",
            birth_date=datetime.date(1970, 1, 2),
        ),
    )
    consent = consent_services.record_consent(
        clerk,
        consent_services.ConsentInput(
            resident=resident,
            recipients=[jiritsu],
            categories=["identity", "concern", "attachments"],
            purpose="生活困窮の相談につなぐため",
            method="verbal_witnessed",
            witness="収納 次長",
            valid_until=timezone.localdate() + datetime.timedelta(days=90),
        ),
    )
    sheet = sheet_services.send_sheet(
        clerk,
        sheet_services.SheetInput(
            resident=resident,
            to_desk=jiritsu,
            concerns=list(Concern.objects.filter(code="tax_arrears")),
            urgency="normal",
            legal_basis="consent",
            handoff_method="sheet_only",
            summary="滞納が続いている",
            consent=consent,
        ),
    )
    return {"users": users, "sheet": sheet, "consent": consent, "resident": resident}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload(client, sheet_id, data=PDF_BYTES, name="滞納通知.pdf", field="file"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/api/v1/sheets/{sheet_id}/attachments/", {field: file}, format="multipart")


def download(client, attachment_id):
    return client.get(f"/api/v1/attachments/{attachment_id}/content/")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_sender_uploads_and_desk_downloads_the_same_bytes(world, storage_dir):
    sheet = world["sheet"]
    response = upload(client_for(world["users"]["tax_clerk"]), sheet.pk)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "filename", "size", "content_type", "sha256"}
    assert body["filename"] == "滞納通知.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF_BYTES)
    assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()

    got = download(client_for(world["users"]["consult1"]), body["id"])
    assert got.status_code == 200
    assert body_of(got) == PDF_BYTES
    assert got["Content-Type"] == "application/pdf"
    assert got["Cache-Control"] == "no-store, private"
    assert "attachment;" in got["Content-Disposition"]
    assert got["Content-Length"] == str(len(PDF_BYTES))

    stored = [p for p in Path(storage_dir).rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert "山田太郎".encode() not in stored[0].read_bytes()


def test_download_is_audited(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    body_of(download(client_for(world["users"]["consult1"]), attachment_id))
    reads = AuditEvent.objects.filter(
        action="attachment.read", target_type="attachment", target_id=str(attachment_id)
    )
    assert reads.count() == 1
    assert reads.get().allowed
    assert reads.get().resident_id == world["resident"].pk


def test_owner_desk_may_upload_too(world):
    response = upload(client_for(world["users"]["consult1"]), world["sheet"].pk, PNG_BYTES, "photo")
    assert response.status_code == 201
    assert response.json()["filename"] == "photo.png"


def test_renamed_executable_is_refused(world, storage_dir):
    response = upload(
        client_for(world["users"]["tax_clerk"]),
        world["sheet"].pk,
        b"MZ\x90\x00" + b"\x00" * 500,
        "letter.pdf",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "content_type_refused"
    assert "Windows executable" in response.json()["detail"]
    assert not Attachment.objects.exists()
    assert not [p for p in Path(storage_dir).rglob("*") if p.is_file()]


def test_oversize_file_is_refused(world, settings, storage_dir):
    settings.ATTACHMENT_MAX_BYTES = 10_000
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk, PDF_BYTES)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Attachment.objects.exists()
    assert not [p for p in Path(storage_dir).rglob("*") if p.is_file()]


def test_oversize_declared_length_is_refused_before_reading(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    client = client_for(world["users"]["tax_clerk"])
    response = client.generic(
        "POST",
        f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
        b"x" * 200_000,
        content_type="multipart/form-data; boundary=zzz",
    )
    assert response.status_code == 413


def test_empty_file_is_refused(world):
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk, b"", "empty.pdf")
    assert response.status_code == 400
    assert response.json()["code"] == "empty_file"


def test_missing_file_field_is_refused(world):
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk, field="document")
    assert response.status_code == 400
    assert response.json()["code"] == "file_required"


def test_malformed_multipart_body_is_refused(world):
    client = client_for(world["users"]["tax_clerk"])
    response = client.generic(
        "POST",
        f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
        b'--wrong\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-',
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_json_body_is_refused(world):
    client = client_for(world["users"]["tax_clerk"])
    response = client.post(
        f"/api/v1/sheets/{world['sheet'].pk}/attachments/", {"file": "x"}, format="json"
    )
    assert response.status_code == 415


def test_upload_without_attachments_consent_is_refused(world):
    consent = world["consent"]
    consent.categories = ["identity", "concern"]
    consent.save(update_fields=["categories"])
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk)
    assert response.status_code == 403
    assert response.json()["code"] == "consent_scope"
    assert AuditEvent.objects.filter(action="attachment.send", allowed=False).exists()


def test_stranger_cannot_upload_or_download(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    stranger = client_for(world["users"]["hogo_staff"])
    assert upload(stranger, world["sheet"].pk).status_code == 403
    refused = download(stranger, attachment_id)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_desk_member"
    assert AuditEvent.objects.filter(
        action="attachment.read", allowed=False, target_id=str(attachment_id)
    ).exists()


def test_withdrawn_consent_blocks_download_at_once(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    desk = client_for(world["users"]["consult1"])
    assert download(desk, attachment_id).status_code == 200
    consent_services.withdraw_consent(world["users"]["tax_clerk"], world["consent"], "本人の希望")
    refused = download(desk, attachment_id)
    assert refused.status_code == 403
    assert refused.json()["code"] == "consent_withdrawn"


def test_tampered_object_is_refused_without_serving_plaintext(world, storage_dir):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    [stored] = [p for p in Path(storage_dir).rglob("*") if p.is_file()]
    damaged = bytearray(stored.read_bytes())
    damaged[-5] ^= 0x01
    stored.write_bytes(bytes(damaged))
    response = download(client_for(world["users"]["consult1"]), attachment_id)
    assert response.status_code == 500
    assert response.json()["code"] == "attachment_damaged"
    assert AuditEvent.objects.filter(action="attachment.integrity_failure").exists()


def test_shredded_attachment_is_gone(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    shred(Attachment.objects.get(pk=attachment_id).data_key)
    response = download(client_for(world["users"]["consult1"]), attachment_id)
    assert response.status_code == 410
    assert response.json()["code"] == "attachment_shredded"


def test_closed_sheet_takes_no_attachment(world):
    desk_user = world["users"]["consult1"]
    sheet_id = world["sheet"].pk
    sheet_services.acknowledge(desk_user, sheet_id)
    sheet_services.accept(desk_user, sheet_id)
    sheet_services.close_sheet(desk_user, sheet_id, "duplicate", "")
    response = upload(client_for(world["users"]["tax_clerk"]), sheet_id)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_filename_is_encrypted_at_rest(world):
    attachment_id = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk).json()["id"]
    row = Attachment.objects.values("filename").get(pk=attachment_id)
    assert "滞納" not in row["filename"]
