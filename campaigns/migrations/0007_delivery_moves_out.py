"""The delivery engine's tables now belong to the delivery app (delivery 0001): only the
migration state forgets them here; the tables and their rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_activity_actor_role"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(
                    name="DispatchLock",
                ),
                migrations.DeleteModel(
                    name="DispatchRun",
                ),
                migrations.RemoveField(
                    model_name="messageevent",
                    name="message",
                ),
                migrations.RemoveField(
                    model_name="outboxmessage",
                    name="campaign",
                ),
                migrations.RemoveField(
                    model_name="outboxmessage",
                    name="customer",
                ),
                migrations.RemoveField(
                    model_name="unsubscribe",
                    name="message",
                ),
                migrations.RemoveField(
                    model_name="quiethours",
                    name="updated_by",
                ),
                migrations.RemoveField(
                    model_name="unsubscribe",
                    name="customer",
                ),
                migrations.RemoveField(
                    model_name="unsubscribe",
                    name="recorded_by",
                ),
                migrations.DeleteModel(
                    name="FrequencyCap",
                ),
                migrations.DeleteModel(
                    name="MessageEvent",
                ),
                migrations.DeleteModel(
                    name="OutboxMessage",
                ),
                migrations.DeleteModel(
                    name="QuietHours",
                ),
                migrations.DeleteModel(
                    name="Unsubscribe",
                ),
            ],
        ),
    ]
