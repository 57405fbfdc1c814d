"""Recompute every resident's blind indexes with the kana folding that keeps ー (issue 16,
input 5).

The old folding deleted ー, so a resident registered as オーノ was stored under オノ's index
and found by searches for 小野. The kana is encrypted, so the indexes can only be recomputed
from the decrypted kana: each row's family and given kana are decrypted with the model's own
field (``EncryptedTextField.decrypt_stored``), handed an unsaved vault ``DataKey`` carrying the
row's key id and wrapped key, exactly as 0005 encrypts. Needs the vault keys (VAULT_KEYS) and
the index key (VAULT_INDEX_KEY) like the application. The indexes are computed by the live
``services.name_birth_index`` / ``family_birth_index``: they are what the application looks up
from now on. Reversing recomputes them with ー deleted, as the old folding did."""

from types import SimpleNamespace

from django.db import migrations

# What the old folding deleted besides spaces and middle dots (the long-vowel mark and the
# dashes typed for it).
_OLD_DROPPED = str.maketrans("", "", "ー-‐−－ｰ")


def _live_key(historical_key):
    from referral_hub.vault.models import DataKey

    return DataKey(
        pk=historical_key.pk,
        kek_id=historical_key.kek_id,
        wrapped=bytes(historical_key.wrapped),
    )


def _reindex(apps, fold):
    from referral_hub.consent.models import Resident as LiveResident
    from referral_hub.consent.services import family_birth_index, name_birth_index

    def plain(owner, resident, name):
        stored = getattr(resident, f"{name}_ciphertext")
        return LiveResident._meta.get_field(name).decrypt_stored(owner, stored)

    Resident = apps.get_model("consent", "Resident")
    for resident in Resident.objects.select_related("data_key").order_by("pk").iterator():
        owner = SimpleNamespace(data_key=_live_key(resident.data_key))
        family = fold(plain(owner, resident, "family_name_kana") or "")
        given = fold(plain(owner, resident, "given_name_kana") or "")
        born = plain(owner, resident, "birth_date")
        Resident.objects.filter(pk=resident.pk).update(
            name_birth_index=name_birth_index(family, given, born),
            family_birth_index=family_birth_index(family, born),
        )


def reindex(apps, schema_editor):
    _reindex(apps, lambda kana: kana)


def reindex_old_folding(apps, schema_editor):
    _reindex(apps, lambda kana: kana.translate(_OLD_DROPPED))


class Migration(migrations.Migration):
    dependencies = [("consent", "0006_drop_consent_plaintext")]
    operations = [migrations.RunPython(reindex, reindex_old_folding)]
