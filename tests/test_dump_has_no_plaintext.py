"""Invariant 7: a database dump and the storage folder show no resident data in clear.

Creates a resident, a consent, a sheet with narrative text, a message and an attachment with
known, unusual values through the services and the API, commits them, runs ``pg_dump`` on the
test database and scans the dump and every stored object for each value.
"""

from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.backends.signals import connection_created
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.consent import services as consent_services
from referral_hub.consent.models import Consent
from referral_hub.directory.models import Concern, Desk
from referral_hub.handoffs import services as sheet_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and pg_dump"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]

FAMILY, GIVEN = "鳩ヶ谷", "澄香"
FAMILY_KANA, GIVEN_KANA = "ハトガヤ", "スミカ"
PHONE = "090-8765-4321"
ADDRESS = "デモ市中央3丁目14-15 ひまわり荘202"
SUMMARY = "家賃を半年滞納し電気も止められそう"
WORDS = "誰にも相談できなかった"
TAX_DETAILS = "市県民税の滞納額は二十三万円"
MESSAGE = "明日の面談に同行します"
NOTE = "本人と電話で話せた"
FILENAME = "鳩ヶ谷澄香_滞納通知.pdf"
ATTACHMENT_TEXT = "DUMP-CANARY 鳩ヶ谷澄香 督促状 attachment plaintext"
PURPOSE = "通院中の心療内科と家計の相談につなぐため"
WITNESS = "立会職員 鶴ヶ峰壮真"
WITHDRAWAL_REASON = "家族に知られるのが怖いと本人が話した"
ATTACHMENT = b"%PDF-1.7\n" + ATTACHMENT_TEXT.encode() * 500 + b"\n%%EOF\n"

SECRETS = {
    "family name": FAMILY,
    "given name": GIVEN,
    "family kana": FAMILY_KANA,
    "given kana": GIVEN_KANA,
    "family kana (hiragana)": "はとがや",
    "phone": PHONE,
    "phone digits": PHONE.replace("-", ""),
    "address": ADDRESS,
    "address fragment": "ひまわり荘",
    "summary": SUMMARY,
    "resident's words": WORDS,
    "tax details": TAX_DETAILS,
    "message": MESSAGE,
    "timeline note": NOTE,
    "attachment filename": "滞納通知",
    "attachment plaintext": "DUMP-CANARY",
    # Consent free text (issue 15, input 12).
    "consent purpose": PURPOSE,
    "consent purpose fragment": "心療内科",
    "consent witness": WITNESS,
    "consent witness fragment": "鶴ヶ峰",
    "withdrawal reason": WITHDRAWAL_REASON,
    "withdrawal reason fragment": "知られるのが怖い",
}


def pg_dump() -> bytes:
    settings_dict = connection.settings_dict
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    command = ["pg_dump", "--no-owner", "--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        command += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        command += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        command += ["--username", settings_dict["USER"]]
    return subprocess.run(command, env=env, check=True, capture_output=True).stdout


def allow_audit_truncate(sender, connection, **kwargs):
    # The append-only trigger refuses TRUNCATE unless the session opts in; Django flushes the
    # database with TRUNCATE after a transactional test (see tests/audit/conftest.py).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")


@pytest.fixture
def truncatable_audit_log():
    connection_created.connect(allow_audit_truncate, dispatch_uid="audit_allow_truncate_in_tests")
    connection.ensure_connection()
    allow_audit_truncate(None, connection)


@pytest.mark.django_db(transaction=True)
def test_database_dump_and_storage_hold_no_plaintext(settings, storage_dir, truncatable_audit_log):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", "--force", "--password", "dump-test-pass", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    clerk, desk_user = users["tax_clerk"], users["consult1"]
    jiritsu = Desk.objects.get(code="jiritsu")
    resident = consent_services.register_resident(
        clerk,
        consent_services.ResidentInput(
            family_name=FAMILY,
            given_name=GIVEN,
            family_name_kana=FAMILY_KANA,
            given_name_kana=GIVEN_KANA,
            birth_date=datetime.date(1968, 7, 19),
            address=ADDRESS,
            phone=PHONE,
        ),
    )
    consent = consent_services.record_consent(
        clerk,
        consent_services.ConsentInput(
            resident=resident,
            recipients=[jiritsu],
            categories=["identity", "concern", "tax", "attachments", "feedback"],
            purpose=PURPOSE,
            method="verbal_witnessed",
            witness=WITNESS,
            valid_until=timezone.localdate() + datetime.timedelta(days=30),
        ),
    )
    sheet = sheet_services.send_sheet(
        clerk,
        sheet_services.SheetInput(
            resident=resident,
            to_desk=jiritsu,
            concerns=list(Concern.objects.filter(code__in=["rent_arrears", "tax_arrears"])),
            urgency="soon",
            legal_basis="consent",
            handoff_method="phoned",
            summary=SUMMARY,
            resident_words=WORDS,
            consent=consent,
            contact_preference=PHONE,
            details={"tax": TAX_DETAILS},
        ),
    )
    sheet_services.acknowledge(desk_user, sheet.pk)
    sheet_services.accept(desk_user, sheet.pk)
    sheet_services.mark_contacted(desk_user, sheet.pk, NOTE)
    sheet_services.post_message(desk_user, sheet.pk, MESSAGE)
    client = APIClient()
    client.force_authenticate(clerk)
    upload = io.BytesIO(ATTACHMENT)
    upload.name = FILENAME
    response = client.post(
        f"/api/v1/sheets/{sheet.pk}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    # The data is really there and readable through the application.
    desk_client = APIClient()
    desk_client.force_authenticate(desk_user)
    content = desk_client.get(f"/api/v1/attachments/{response.json()['id']}/content/")
    assert b"".join(content.streaming_content) == ATTACHMENT
    assert sheet_services.ConnectSheet.objects.get(pk=sheet.pk).summary == SUMMARY
    # A second consent, withdrawn with a reason (the first one keeps the sheet going).
    withdrawn = consent_services.record_consent(
        clerk,
        consent_services.ConsentInput(
            resident=resident,
            recipients=[jiritsu],
            categories=["identity"],
            purpose=PURPOSE,
            method="verbal_witnessed",
            witness=WITNESS,
            valid_until=timezone.localdate() + datetime.timedelta(days=30),
        ),
    )
    consent_services.withdraw_consent(clerk, withdrawn, WITHDRAWAL_REASON)
    reread = Consent.objects.get(pk=withdrawn.pk)
    assert (reread.purpose, reread.witness, reread.withdrawal_reason) == (
        PURPOSE,
        WITNESS,
        WITHDRAWAL_REASON,
    )

    dump = pg_dump()
    assert b"COPY public.consent_resident" in dump  # the dump really covers our tables
    stored = [p for p in Path(storage_dir).rglob("*") if p.is_file()]
    assert stored, "the attachment should be in the storage folder"

    leaks = [label for label, text in SECRETS.items() if text.encode() in dump]
    assert leaks == [], f"plaintext in the database dump: {leaks}"
    for path_ in stored:
        data = path_.read_bytes()
        leaks = [label for label, text in SECRETS.items() if text.encode() in data]
        assert leaks == [], f"plaintext in stored object {path_.name}: {leaks}"
        assert all(text not in str(path_) for text in SECRETS.values())
