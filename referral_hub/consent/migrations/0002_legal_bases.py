from django.db import migrations


def seed(apps, schema_editor):
    from referral_hub.consent.reference_data import ensure_legal_bases

    ensure_legal_bases(apps.get_model("consent", "LegalBasis"))


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
