"""Consent free text becomes encrypted (issue 15, input 12), step 1 of 3: the plaintext columns
move aside, the consent gets a (for now nullable) data key and empty encrypted columns."""

import django.db.models.deletion
from django.db import migrations, models

import referral_hub.vault.fields


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_relationships"),
        ("vault", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("consent", "purpose", "purpose_plain"),
        migrations.RenameField("consent", "witness", "witness_plain"),
        migrations.RenameField("consent", "withdrawal_reason", "withdrawal_reason_plain"),
        migrations.AddField(
            model_name="consent",
            name="data_key",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="vault.datakey",
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="purpose",
            field=referral_hub.vault.fields.EncryptedTextField(
                default="", key_field="data_key", verbose_name="目的"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="consent",
            name="witness",
            field=referral_hub.vault.fields.EncryptedTextField(
                blank=True, key_field="data_key", verbose_name="立会人"
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="withdrawal_reason",
            field=referral_hub.vault.fields.EncryptedTextField(
                blank=True, key_field="data_key", verbose_name="撤回の理由"
            ),
        ),
    ]
