"""Step 3 of 3: the plaintext columns go, and every consent must have a data key."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("consent", "0005_encrypt_consent_text")]

    operations = [
        migrations.RemoveField("consent", "purpose_plain"),
        migrations.RemoveField("consent", "witness_plain"),
        migrations.RemoveField("consent", "withdrawal_reason_plain"),
        migrations.AlterField(
            model_name="consent",
            name="data_key",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="vault.datakey",
            ),
        ),
    ]
