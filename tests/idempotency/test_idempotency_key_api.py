"""``Idempotency-Key`` on the creating API routes (issue 14 input 3; DESIGN.md invariant 11):
a repeat within 24 hours by the same user gets the first answer, status and body, and creates
nothing; the same key with another body is 409 ``idempotency_conflict``."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

from django.db import connection
from django.utils import timezone

from referral_hub.consent.models import Consent, Resident
from referral_hub.handoffs.models import Attachment, ConnectSheet
from referral_hub.idempotency.models import IdempotencyRecord
from tests.fixtures_sheets import API, Api, look_up, make_consent, send_ok, sheet_body

PDF_BYTES = b"%PDF-1.7\n" + b"scan\n" * 200 + b"%%EOF\n"


def post(api: Api, path: str, body: Any, key: str | None) -> tuple[int, Any, Any]:
    headers = {"Idempotency-Key": key} if key is not None else {}
    response = api.client.post(
        f"{API}{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )
    return response.status_code, response.json(), response


def test_repeating_a_send_with_its_key_returns_the_first_sheet(api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    body = sheet_body(resident, jiritsu_consent)

    first = post(clerk, "/sheets/", body, "send-2026-0001")
    again = post(clerk, "/sheets/", body, "send-2026-0001")

    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert again[2]["Idempotent-Replayed"] == "true"
    assert ConnectSheet.objects.filter(resident=resident).count() == 1


def test_the_same_key_with_another_body_is_409_idempotency_conflict(api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    post(clerk, "/sheets/", sheet_body(resident, jiritsu_consent), "key-a")

    status, body, _ = post(
        clerk, "/sheets/", sheet_body(resident, jiritsu_consent, urgency="urgent"), "key-a"
    )

    assert (status, body["code"]) == (409, "idempotency_conflict")
    assert "別の内容" in body["detail"]
    assert ConnectSheet.objects.filter(resident=resident).count() == 1


def test_without_a_key_every_post_creates(api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    body = sheet_body(resident, jiritsu_consent)
    assert post(clerk, "/sheets/", body, None)[0] == 201
    assert post(clerk, "/sheets/", body, None)[0] == 201
    assert ConnectSheet.objects.filter(resident=resident).count() == 2


def test_keys_belong_to_one_user(demo, api, resident, jiritsu_consent):
    look_up(demo.user("nhi_clerk"), resident)
    body = sheet_body(resident, jiritsu_consent)
    assert post(api("tax_clerk"), "/sheets/", body, "shared-key")[0] == 201
    assert post(api("nhi_clerk"), "/sheets/", body, "shared-key")[0] == 201
    assert ConnectSheet.objects.filter(resident=resident).count() == 2


def test_a_refused_attempt_stores_nothing_and_may_be_retried(demo, api, resident):
    clerk = api("tax_clerk")
    body = sheet_body(resident, None)  # no consent: refused by the gate
    status, reply, _ = post(clerk, "/sheets/", body, "retry-me")
    assert (status, reply["code"]) == (403, "consent_required")
    assert IdempotencyRecord.objects.count() == 0

    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    # A corrected request under the same key is a new attempt (nothing was stored).
    status, reply, _ = post(clerk, "/sheets/", sheet_body(resident, consent), "retry-me")
    assert status == 201


def test_a_key_older_than_24_hours_is_a_new_attempt(api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    body = sheet_body(resident, jiritsu_consent)
    post(clerk, "/sheets/", body, "daily-key")
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))

    assert post(clerk, "/sheets/", body, "daily-key")[0] == 201
    assert ConnectSheet.objects.filter(resident=resident).count() == 2
    assert IdempotencyRecord.objects.count() == 1  # the expired record is gone


def test_an_unusable_key_is_400(api, resident, jiritsu_consent):
    status, body, _ = post(
        api("tax_clerk"), "/sheets/", sheet_body(resident, jiritsu_consent), "x" * 256
    )
    assert (status, body["code"]) == (400, "idempotency_key_invalid")
    assert ConnectSheet.objects.count() == 0


def test_resident_registration_is_once_and_stores_no_name_in_clear(api):
    clerk = api("tax_clerk")
    body = {
        "family_name": "冪等",
        "given_name": "一郎",
        "family_name_kana": "ベキトウ",
        "given_name_kana": "イチロウ",
        "birth_date": "1980-04-05",
    }
    first = post(clerk, "/residents/", body, "resident-1")
    again = post(clerk, "/residents/", body, "resident-1")

    assert first[0] == again[0] == 201
    assert again[1] == first[1] and first[1]["family_name"] == "冪等"
    assert Resident.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM idempotency_idempotencyrecord")
        stored = repr(cursor.fetchall())
    assert "冪等" not in stored and "resident-1" not in stored


def test_consent_recording_is_once(demo, api, resident):
    clerk = api("tax_clerk")
    body = {
        "resident": resident.pk,
        "recipients": [demo.desk("jiritsu").pk],
        "categories": ["identity", "concern"],
        "purpose": "相談のため",
        "method": "verbal_witnessed",
        "witness": "収納 花子",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    first = post(clerk, "/consents/", body, "consent-1")
    again = post(clerk, "/consents/", body, "consent-1")
    assert first[0] == again[0] == 201 and again[1] == first[1]
    assert Consent.objects.filter(resident=resident).count() == 1


def _upload(api: Api, sheet_id: int, key: str, data: bytes = PDF_BYTES) -> Any:
    file = io.BytesIO(data)
    file.name = "通知.pdf"
    return api.client.post(
        f"{API}/sheets/{sheet_id}/attachments/", {"file": file}, headers={"Idempotency-Key": key}
    )


def test_attachment_upload_is_once(demo, api, resident, storage_dir):
    consent = make_consent(
        demo.user("tax_clerk"), resident, ["jiritsu"], ["identity", "concern", "attachments"]
    )
    clerk = api("tax_clerk")
    sheet_id = send_ok(clerk, resident, consent)

    first = _upload(clerk, sheet_id, "upload-1")
    again = _upload(clerk, sheet_id, "upload-1")
    other = _upload(clerk, sheet_id, "upload-1", PDF_BYTES + b"\n")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
    assert Attachment.objects.filter(sheet_id=sheet_id).count() == 1


def test_signed_form_upload_is_once(demo, api, jiritsu_consent, storage_dir):
    clerk = api("tax_clerk")

    def upload(key: str) -> Any:
        file = io.BytesIO(PDF_BYTES)
        file.name = "同意書.pdf"
        return clerk.client.post(
            f"{API}/consents/{jiritsu_consent.pk}/evidence/",
            {"file": file},
            headers={"Idempotency-Key": key},
        )

    first, again = upload("form-1"), upload("form-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert jiritsu_consent.evidence.count() == 1


def test_purging_deletes_answers_older_than_24_hours_with_their_keys(
    api, resident, jiritsu_consent
):
    from django.core.management import call_command

    from referral_hub.vault.models import DataKey

    clerk = api("tax_clerk")
    post(clerk, "/sheets/", sheet_body(resident, jiritsu_consent), "old")
    post(clerk, "/sheets/", sheet_body(resident, jiritsu_consent, urgency="soon"), "new")
    old = IdempotencyRecord.objects.order_by("pk").first()
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )

    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)

    assert out.getvalue().strip() == "purged 1 idempotency record(s)"
    assert IdempotencyRecord.objects.count() == 1
    assert not DataKey.objects.filter(pk=old.data_key_id).exists()
