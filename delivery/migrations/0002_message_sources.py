"""Messages name their source instead of a campaign (step 1 of 3): the sources table,
the ``source`` and ``message_class`` columns (empty for now), and the campaign column
made optional so the step can be undone."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_password_changed_at"),
        ("campaigns", "0007_delivery_moves_out"),
        ("delivery", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageSource",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=40, verbose_name="kind")),
                ("object_id", models.PositiveBigIntegerField(verbose_name="object ID")),
                ("label", models.CharField(max_length=200, verbose_name="name")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("active", "Sending"),
                            ("paused", "Paused"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="active",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "department",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.department",
                        verbose_name="department",
                    ),
                ),
            ],
            options={
                "verbose_name": "message source",
                "verbose_name_plural": "message sources",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="source_one_per_object"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="source",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="delivery.messagesource",
                verbose_name="sent for",
            ),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="message_class",
            field=models.CharField(
                choices=[
                    ("care", "Care and marketing"),
                    ("service", "Service the customer asked for"),
                ],
                default="care",
                max_length=10,
                verbose_name="class",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="campaign",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="campaigns.carecampaign",
                verbose_name="campaign",
            ),
        ),
    ]
