from django.contrib.postgres.fields import ArrayField
from django.db import migrations, models

from referral_hub.reports import rollup_sql


def install_concern_trigger(apps, schema_editor):
    """PostgreSQL: the trigger on the sheets' concern rows keeps ``concern_ids`` exact; fill it
    for existing sheets."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(rollup_sql.CONCERNS_INSTALL)


def uninstall_concern_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(rollup_sql.CONCERNS_UNINSTALL)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_rollups"),
        ("handoffs", "0004_sheetevent_shared_with_sender"),
    ]

    operations = [
        migrations.AddField(
            model_name="sheetfacts",
            name="concern_ids",
            field=ArrayField(base_field=models.BigIntegerField(), null=True, size=None),
        ),
        migrations.RunPython(install_concern_trigger, uninstall_concern_trigger),
    ]
