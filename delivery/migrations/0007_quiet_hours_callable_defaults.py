from django.db import migrations, models

import delivery.models


class Migration(migrations.Migration):
    """Quiet hours' default times become callables (Django's deploy check flagged the fixed
    times within ten seconds of 21:00 and 08:00 UTC). A default lives in Python only, so
    nothing changes in the database: on SQLite an AlterField would rebuild the table."""

    dependencies = [
        ("delivery", "0006_outbox_log_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="quiethours",
                    name="ends_at",
                    field=models.TimeField(
                        default=delivery.models.quiet_hours_default_end, verbose_name="until"
                    ),
                ),
                migrations.AlterField(
                    model_name="quiethours",
                    name="starts_at",
                    field=models.TimeField(
                        default=delivery.models.quiet_hours_default_start, verbose_name="from"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
