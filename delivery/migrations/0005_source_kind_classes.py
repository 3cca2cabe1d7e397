"""Admins choose which kinds of sender count against frequency caps (``SourceKindClass``);
the log of every message walks the outbox newest first (``outbox_created``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_rfm_segment_choices"),
        ("delivery", "0004_messages_name_their_source"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceKindClass",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(max_length=40, unique=True, verbose_name="kind of sender"),
                ),
                (
                    "counts_against_caps",
                    models.BooleanField(verbose_name="counts against frequency caps"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="changed")),
            ],
            options={
                "verbose_name": "class of a kind of sender",
                "verbose_name_plural": "classes of the kinds of sender",
                "ordering": ["kind"],
            },
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(fields=["created_at", "id"], name="outbox_created"),
        ),
        migrations.AddField(
            model_name="sourcekindclass",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="changed by",
            ),
        ),
    ]
