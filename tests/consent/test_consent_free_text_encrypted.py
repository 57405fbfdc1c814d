"""Issue 15, input 12: a consent's purpose, witness and withdrawal reason are stored encrypted
under the consent's own data key, and the migration encrypts consents recorded before.
(The pg_dump scan in tests/test_dump_has_no_plaintext.py covers the same values.)"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from referral_hub.consent.models import Consent
from referral_hub.vault.keys import shred
from tests.fixtures_sheets import make_consent

PURPOSE = "精神科の通院について相談するため"
WITNESS = "立会 鶴ヶ峰太一"
REASON = "家族に知られたくないと本人が話した"


def raw_columns(consent_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT purpose_ciphertext, witness_ciphertext, withdrawal_reason_ciphertext "
            "FROM consent_consent WHERE id = %s",
            [consent_id],
        )
        return " ".join(cursor.fetchone())


def test_purpose_witness_and_withdrawal_reason_are_ciphertext_in_the_table(demo, api, resident):
    reply = api("tax_clerk").post(
        "/consents/",
        {
            "resident": resident.pk,
            "recipients": [demo.desk("jiritsu").pk],
            "categories": ["identity", "concern"],
            "purpose": PURPOSE,
            "method": "verbal_witnessed",
            "witness": WITNESS,
            "valid_until": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert reply.status == 201, reply.body
    assert (reply.body["purpose"], reply.body["witness"]) == (PURPOSE, WITNESS)
    consent_id = reply.body["id"]
    assert (
        api("tax_clerk").post(f"/consents/{consent_id}/withdraw/", {"reason": REASON}).status == 200
    )

    consent = Consent.objects.get(pk=consent_id)
    assert (consent.purpose, consent.witness, consent.withdrawal_reason) == (
        PURPOSE,
        WITNESS,
        REASON,
    )
    stored = raw_columns(consent_id)
    for secret in (PURPOSE, WITNESS, REASON, "精神科", "鶴ヶ峰", "知られたくない"):
        assert secret not in stored
    assert consent.data_key_id != resident.data_key_id


def test_each_consent_has_its_own_data_key_and_shredding_it_erases_the_text(demo, resident):
    first = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    second = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    assert first.data_key_id and second.data_key_id and first.data_key_id != second.data_key_id
    shred(first.data_key)
    from referral_hub.vault.errors import Shredded

    with pytest.raises(Shredded):
        _ = Consent.objects.get(pk=first.pk).purpose
    assert Consent.objects.get(pk=second.pk).purpose == "自立相談支援窓口での相談のため"


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_consents_recorded_before(fast_hashers):
    """Consents written with the plaintext schema (migration 0002) come out of 0005
    encrypted, readable through the model, with no plaintext left in the table."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("consent")
    before = [("consent", "0002_legal_bases")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        user = old_apps.get_model("auth", "User").objects.create(username="old_clerk")
        DataKey = old_apps.get_model("vault", "DataKey")
        from referral_hub.vault.keys import new_data_key

        key = new_data_key()
        resident = old_apps.get_model("consent", "Resident").objects.create(
            data_key=DataKey.objects.get(pk=key.pk),
            family_name_ciphertext="",
            family_name_kana_ciphertext="",
            name_birth_index="0" * 64,
            family_birth_index="0" * 64,
            created_by=user,
        )
        old = old_apps.get_model("consent", "Consent").objects.create(
            resident=resident,
            categories=["identity"],
            purpose=PURPOSE,
            method="verbal_witnessed",
            witness=WITNESS,
            recorded_by=user,
            valid_until=datetime.date(2030, 1, 1),
            withdrawal_reason=REASON,
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        consent = Consent.objects.get(pk=old.pk)
        assert (consent.purpose, consent.witness, consent.withdrawal_reason) == (
            PURPOSE,
            WITNESS,
            REASON,
        )
        stored = raw_columns(old.pk)
        assert all(secret not in stored for secret in (PURPOSE, WITNESS, REASON))
        columns = [
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), "consent_consent"
            )
        ]
        assert "purpose" not in columns and "purpose_plain" not in columns
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)


def test_retention_shreds_the_consents_text_with_the_resident(demo, resident):
    from referral_hub.handoffs.management.commands.apply_retention import shred_resident
    from referral_hub.vault.errors import Shredded

    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    assert shred_resident(resident.pk, years=5)
    with pytest.raises(Shredded):
        _ = Consent.objects.select_related("data_key").get(pk=consent.pk).purpose
