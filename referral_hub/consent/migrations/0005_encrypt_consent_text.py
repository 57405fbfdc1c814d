"""Step 2 of 3: every existing consent gets a data key and its purpose, witness and withdrawal
reason are encrypted under it (and decrypted back on reverse).

Tokens are made by the model's own field (``EncryptedTextField.encrypt_for``), so they are
exactly what the application writes and reads: the associated data binds the model label
``consent.consent``, the field name and the data key id. The historical models only move the
values; the field is handed an unsaved vault ``DataKey`` carrying the new row's id and wrapped
key, which is all it needs. Needs the vault keys (VAULT_KEYS) like the application."""

import os
from types import SimpleNamespace

from django.db import migrations

FIELDS = ("purpose", "witness", "withdrawal_reason")


def _live_key(historical_key):
    from referral_hub.vault.models import DataKey

    return DataKey(
        pk=historical_key.pk,
        kek_id=historical_key.kek_id,
        wrapped=bytes(historical_key.wrapped),
    )


def encrypt(apps, schema_editor):
    from referral_hub.consent.models import Consent as LiveConsent
    from referral_hub.vault.keyring import KEY_BYTES, current_keyring

    Consent = apps.get_model("consent", "Consent")
    DataKey = apps.get_model("vault", "DataKey")
    for consent in Consent.objects.filter(data_key__isnull=True).order_by("pk").iterator():
        kek_id, wrapped = current_keyring().wrap(os.urandom(KEY_BYTES))
        key = DataKey.objects.create(kek_id=kek_id, wrapped=wrapped)
        owner = SimpleNamespace(data_key=_live_key(key))
        sealed = {
            name: LiveConsent._meta.get_field(name).encrypt_for(
                owner, getattr(consent, f"{name}_plain")
            )
            for name in FIELDS
        }
        plain_cleared = {f"{name}_plain": "" for name in FIELDS}
        Consent.objects.filter(pk=consent.pk).update(data_key=key, **sealed, **plain_cleared)


def decrypt(apps, schema_editor):
    from referral_hub.consent.models import Consent as LiveConsent
    from referral_hub.vault.fields import Ciphertext

    Consent = apps.get_model("consent", "Consent")
    for consent in Consent.objects.filter(data_key__isnull=False).select_related("data_key"):
        owner = SimpleNamespace(data_key=_live_key(consent.data_key))
        plain = {
            f"{name}_plain": LiveConsent._meta.get_field(name).decrypt_stored(
                owner, getattr(consent, f"{name}_ciphertext")
            )
            for name in FIELDS
        }
        emptied = {name: Ciphertext("") for name in FIELDS}
        Consent.objects.filter(pk=consent.pk).update(data_key=None, **plain, **emptied)


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_consent_data_key")]
    operations = [migrations.RunPython(encrypt, decrypt)]
