from django.db import migrations


def seed_concerns(apps, schema_editor):
    from referral_hub.directory.reference_data import CONCERNS

    Concern = apps.get_model("directory", "Concern")
    for order, (code, name, emergency) in enumerate(CONCERNS):
        Concern.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order, "emergency": emergency})


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(seed_concerns, migrations.RunPython.noop)]
