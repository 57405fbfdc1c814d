"""Columns fed from outside become unbounded text (issue 15, failing input 4).

On PostgreSQL varchar(n) to text is a catalogue change without a table rewrite, so the
append-only trigger (0002, which fires on UPDATE/DELETE/TRUNCATE) is not involved and no stored
value, hence no chain hash, changes. On SQLite Django rebuilds the table by copying it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_details_canonical_json'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='actor_desk',
            field=models.TextField(blank=True, db_index=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor_username',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='client_ip',
            field=models.TextField(blank=True, help_text='A valid IP address or empty (audit.middleware.client_ip).'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='target_id',
            field=models.TextField(blank=True),
        ),
    ]
