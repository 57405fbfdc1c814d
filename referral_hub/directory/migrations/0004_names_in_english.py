"""English names (``name_en``) for departments, concerns and desks, filled for the reference
data from reference_data.py. Blank for anything else: the UI then falls back to ``name``.
Also Japanese verbose names for the foreign keys, which the admin printed in English."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_english_names(apps, schema_editor):
    from referral_hub.directory.reference_data import (
        CONCERN_NAMES_EN,
        DEPARTMENT_NAMES_EN,
        DESK_NAMES_EN,
    )

    for model_name, names in (
        ("Concern", CONCERN_NAMES_EN),
        ("Department", DEPARTMENT_NAMES_EN),
        ("Desk", DESK_NAMES_EN),
    ):
        model = apps.get_model("directory", model_name)
        for code, name_en in names.items():
            # Only rows still without an English name: an administrator's own wording stays.
            model.objects.filter(code=code, name_en="").update(name_en=name_en)


def _name_en_field():
    return models.CharField(
        blank=True,
        help_text="英語表示で使う名称。空欄なら日本語の名称を表示します。",
        max_length=100,
        verbose_name="英語名",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0003_credentials_end_with_password"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="concern", name="name_en", field=_name_en_field()),
        migrations.AddField(model_name="department", name="name_en", field=_name_en_field()),
        migrations.AddField(model_name="desk", name="name_en", field=_name_en_field()),
        migrations.RunPython(fill_english_names, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="department",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="departments",
                to="directory.municipality",
                verbose_name="自治体",
            ),
        ),
        migrations.AlterField(
            model_name="desk",
            name="department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="desks",
                to="directory.department",
                verbose_name="部署",
            ),
        ),
        migrations.AlterField(
            model_name="desk",
            name="municipality",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="desks",
                to="directory.municipality",
                verbose_name="自治体",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="department",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to="directory.department",
                verbose_name="部署",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="desk",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to="directory.desk",
                verbose_name="窓口",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to=settings.AUTH_USER_MODEL,
                verbose_name="職員",
            ),
        ),
    ]
