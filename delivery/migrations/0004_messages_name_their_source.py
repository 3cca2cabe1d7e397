"""Messages name their source (step 3 of 3): the campaign column goes, the source is
required and the outbox's key becomes (source, occasion, customer, channel)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("delivery", "0003_sources_fill")]

    operations = [
        migrations.RemoveConstraint(model_name="outboxmessage", name="outbox_one_per_occasion"),
        migrations.RemoveIndex(model_name="outboxmessage", name="outbox_campaign_status"),
        migrations.RemoveField(model_name="outboxmessage", name="campaign"),
        migrations.AlterField(
            model_name="outboxmessage",
            name="source",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="delivery.messagesource",
                verbose_name="sent for",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("source", "occasion", "customer", "channel"),
                name="outbox_one_per_source_occasion",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["source", "status"], name="outbox_source_status"),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("unsubscribed", "Unsubscribed"),
                    ("no_consent", "No consent for the channel"),
                    ("invalid_contact", "Invalid contact"),
                    ("duplicate", "Duplicate of another campaign's touch"),
                    ("frequency_cap", "Frequency cap reached"),
                    ("displaced", "Gave way to higher-priority care"),
                    ("campaign_stopped", "Stopped by its sender before sending"),
                ],
                max_length=20,
                verbose_name="suppressed because",
            ),
        ),
    ]
