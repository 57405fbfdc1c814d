"""同意書の控え (issue 19): a consent records the notice version, language, reading aloud and
who signed; its receipt reproduces the notice it was given under, even after the notice text
changes; the TS 27560-shaped record carries ids and codes, not names."""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from referral_hub.consent.models import Consent, ConsentNotice, notice_digest
from referral_hub.consent.notices import FIRST_VERSION, publish_notice

NEW_EN = "Version two: we will tell the desk about you, and nothing else."


def _body(resident, **more):
    body = {
        "resident": resident.pk,
        "recipients": ["jiritsu"],
        "categories": ["identity", "concern", "health"],
        "purpose": "自立相談支援窓口での相談のため",
        "method": "signed_form",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
    }
    body["recipients"] = [_desk_id("jiritsu")]
    body.update(more)
    return body


def _desk_id(code):
    from referral_hub.directory.models import Desk

    return Desk.objects.get(code=code).pk


def _record(api, resident, **more):
    reply = api("tax_clerk").post("/consents/", _body(resident, **more))
    assert reply.status == 201, reply.body
    return reply.body


def test_consent_records_notice_language_reading_and_signatory(api, resident):
    body = _record(
        api,
        resident,
        notice_version=FIRST_VERSION,
        language="en",
        read_aloud=True,
        signatory="legal_representative",
        signatory_name="成年 後見人",
        signatory_document="登記事項証明書",
    )
    notice = ConsentNotice.objects.get(version=FIRST_VERSION, language="en")
    assert body["notice_version"] == FIRST_VERSION
    assert body["notice_sha256"] == notice.sha256 == notice_digest(notice.text)
    assert (body["language"], body["read_aloud"], body["signatory"]) == (
        "en",
        True,
        "legal_representative",
    )
    assert body["signatory_name"] == "成年 後見人"
    with connection.cursor() as cursor:  # the name is ciphertext at rest
        cursor.execute(
            "SELECT signatory_name_ciphertext FROM consent_consent WHERE id = %s", [body["id"]]
        )
        assert "後見人" not in str(cursor.fetchone()[0])


def test_receipt_reproduces_the_notice_version_after_the_text_changes(demo, api, resident):
    consent_id = _record(api, resident, language="en", read_aloud=True)["id"]
    old_text = ConsentNotice.objects.get(version=FIRST_VERSION, language="en").text
    publish_notice(demo.user("privacy_officer"), "2026-2", {"en": NEW_EN, "ja": "第2版の説明"})
    newer = _record(api, resident, language="en")

    response = api("tax_clerk").client.get(
        f"/api/v1/consents/{consent_id}/receipt/", {"lang": "en"}
    )

    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert old_text.splitlines()[0] in html and NEW_EN not in html
    assert "version 2026-1" in html
    assert "A staff member read this aloud to you." in html
    assert "Your copy of the consent" in html
    assert "Your physical and mental health" in html  # the health category, in plain words
    assert "自立相談支援窓口" in html
    assert (newer["notice_version"], newer["notice_sha256"]) == (
        "2026-2",
        notice_digest(NEW_EN),
    )


def test_a_published_notice_is_never_edited(demo):
    from referral_hub.consent.notices import ensure_first_notices

    ensure_first_notices()
    notice = ConsentNotice.objects.get(version=FIRST_VERSION, language="ja")
    notice.text = "書き換え"
    try:
        notice.save()
    except ValueError:
        pass
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a published notice was edited")
    assert ConsentNotice.objects.get(pk=notice.pk).text != "書き換え"


def test_receipt_in_easy_japanese_has_furigana_and_in_vietnamese_is_vietnamese(api, resident):
    consent_id = _record(api, resident, language="vi")["id"]
    client = api("tax_clerk").client
    easy = client.get(f"/api/v1/consents/{consent_id}/receipt/", {"lang": "easy_ja"})
    vi = client.get(f"/api/v1/consents/{consent_id}/receipt/")  # default: the consent's language
    assert "<ruby>同意<rt>どうい</rt></ruby>" in easy.content.decode()
    assert "Bản lưu giấy đồng ý" in vi.content.decode()
    # No vi notice text was published: the easy Japanese one was shown and is reproduced.
    assert Consent.objects.get(pk=consent_id).notice.language == "easy_ja"


def test_signatory_other_than_self_needs_a_name_and_a_document(api, resident):
    reply = api("tax_clerk").post("/consents/", _body(resident, signatory="proxy"))
    assert (reply.status, reply.code) == (400, "signatory_name_required")
    reply = api("tax_clerk").post(
        "/consents/", _body(resident, signatory="proxy", signatory_name="代理 一郎")
    )
    assert (reply.status, reply.code) == (400, "signatory_document_required")
    reply = api("tax_clerk").post("/consents/", _body(resident, notice_version="1999-9"))
    assert (reply.status, reply.code) == (400, "unknown_notice_version")
    reply = api("tax_clerk").post("/consents/", _body(resident, language="xx"))
    assert reply.status == 400


def test_ts27560_record_has_the_consent_in_ids_and_codes(api, resident):
    body = _record(
        api,
        resident,
        signatory="proxy",
        signatory_name="代理 一郎",
        signatory_document="委任状",
    )
    record = api("tax_clerk").get(f"/consents/{body['id']}/record/").body
    assert record["schema_name"] == "ISO/IEC TS 27560:2023"
    assert record["record_id"] == f"consent:{body['id']}"
    assert record["pii_principal_id"] == f"resident:{resident.pk}"
    assert record["notice"]["notice_version"] == FIRST_VERSION
    assert record["notice"]["notice_hash"] == {
        "algorithm": "sha-256",
        "value": body["notice_sha256"],
    }
    assert record["pii_categories"] == ["concern", "health", "identity"]
    assert record["recipients"][0]["id"] == "desk:jiritsu"
    assert record["delegation"] == {"signatory": "proxy", "document_seen": True}
    assert [e["event_type"] for e in record["events"]] == ["given"]
    text = str(record)
    assert "代理" not in text and resident.family_name not in text


def test_receipt_and_record_are_refused_to_unrelated_staff(api, resident):
    consent_id = _record(api, resident)["id"]
    assert api("housing_clerk").get(f"/consents/{consent_id}/record/").status == 403
    refused = api("housing_clerk").client.get(f"/api/v1/consents/{consent_id}/receipt/")
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
