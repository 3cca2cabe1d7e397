"""The delivery engine's tables, created by campaigns 0003–0005, taken over as they are:
the state moves here (db_table keeps their names), no row is copied, and their content
types (and so every permission granted on them) move with them."""

import datetime

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = (
    "dispatchlock",
    "dispatchrun",
    "outboxmessage",
    "messageevent",
    "quiethours",
    "unsubscribe",
    "frequencycap",
)


def content_types_move(apps, schema_editor, source="campaigns", target="delivery"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(
        ContentType.objects.using(db)
        .filter(app_label=target, model__in=MOVED)
        .values_list("model", flat=True)
    )
    ContentType.objects.using(db).filter(app_label=source, model__in=MOVED).exclude(
        model__in=taken
    ).update(app_label=target)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="delivery", target="campaigns")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("campaigns", "0007_delivery_moves_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0004_rfm_segment_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(content_types_move, content_types_back),
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DispatchLock",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=20, unique=True)),
                        ("taken_at", models.DateTimeField(null=True)),
                    ],
                    options={
                        "verbose_name": "dispatch lock",
                        "db_table": "campaigns_dispatchlock",
                        "default_permissions": (),
                    },
                ),
                migrations.CreateModel(
                    name="DispatchRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("day", models.DateField(verbose_name="day")),
                        ("started_at", models.DateTimeField(verbose_name="started")),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                        ),
                        ("queued", models.PositiveIntegerField(default=0, verbose_name="queued")),
                        (
                            "suppressed",
                            models.PositiveIntegerField(default=0, verbose_name="suppressed"),
                        ),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                    ],
                    options={
                        "verbose_name": "dispatch run",
                        "verbose_name_plural": "dispatch runs",
                        "db_table": "campaigns_dispatchrun",
                        "ordering": ["-started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("sms", "SMS"),
                                    ("email", "Email"),
                                    ("wecom", "WeCom"),
                                    ("push", "App push"),
                                ],
                                max_length=10,
                                verbose_name="channel",
                            ),
                        ),
                        ("occasion", models.DateField(verbose_name="occasion")),
                        ("due_on", models.DateField(verbose_name="due")),
                        (
                            "planned_on",
                            models.DateField(
                                help_text="Local date it is planned to go out (caps count it).",
                                verbose_name="planned send date",
                            ),
                        ),
                        (
                            "care_kind",
                            models.CharField(
                                choices=[
                                    ("birthday", "Birthday greetings"),
                                    ("holiday", "Holiday greetings"),
                                    ("service", "Service follow-ups"),
                                    ("event", "Event invitations"),
                                    ("promotion", "Offers and recommendations"),
                                ],
                                max_length=12,
                                verbose_name="kind of care",
                            ),
                        ),
                        (
                            "priority",
                            models.PositiveSmallIntegerField(
                                choices=[(1, "High"), (2, "Normal"), (3, "Low")],
                                verbose_name="priority",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("delivered", "Delivered"),
                                    ("failed", "Failed"),
                                    ("bounced", "Bounced"),
                                    ("suppressed", "Suppressed"),
                                    ("uncertain", "Uncertain"),
                                ],
                                default="queued",
                                max_length=12,
                                verbose_name="status",
                            ),
                        ),
                        (
                            "reason",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("unsubscribed", "Unsubscribed"),
                                    ("no_consent", "No consent for the channel"),
                                    ("invalid_contact", "Invalid contact"),
                                    ("duplicate", "Duplicate of another campaign's touch"),
                                    ("frequency_cap", "Frequency cap reached"),
                                    ("displaced", "Gave way to higher-priority care"),
                                    ("campaign_stopped", "Campaign stopped before sending"),
                                ],
                                max_length=20,
                                verbose_name="suppressed because",
                            ),
                        ),
                        (
                            "address",
                            models.CharField(blank=True, max_length=254, verbose_name="address"),
                        ),
                        ("send_after", models.DateTimeField(verbose_name="not before")),
                        (
                            "deferred",
                            models.BooleanField(
                                default=False, verbose_name="deferred by quiet hours"
                            ),
                        ),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                        ),
                        ("claim", models.UUIDField(blank=True, editable=False, null=True)),
                        (
                            "lease_until",
                            models.DateTimeField(blank=True, editable=False, null=True),
                        ),
                        (
                            "handed_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="handed to the provider at"
                            ),
                        ),
                        (
                            "subject",
                            models.CharField(blank=True, max_length=200, verbose_name="subject"),
                        ),
                        ("body", models.TextField(blank=True, verbose_name="text")),
                        ("html_body", models.TextField(blank=True, verbose_name="HTML body")),
                        ("links", models.JSONField(blank=True, default=list, verbose_name="links")),
                        (
                            "provider_id",
                            models.CharField(
                                blank=True, max_length=100, verbose_name="provider message ID"
                            ),
                        ),
                        (
                            "error",
                            models.CharField(blank=True, max_length=500, verbose_name="last error"),
                        ),
                        (
                            "error_code",
                            models.CharField(blank=True, max_length=60, verbose_name="error code"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="queued at"),
                        ),
                        (
                            "sent_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="sent at"),
                        ),
                        (
                            "delivered_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="delivered at"
                            ),
                        ),
                        (
                            "failed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="failed at"),
                        ),
                        (
                            "opened_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="first opened at"
                            ),
                        ),
                        (
                            "clicked_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="first clicked at"
                            ),
                        ),
                        (
                            "replied_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="replied at"),
                        ),
                        (
                            "unsubscribed_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="unsubscribed at"
                            ),
                        ),
                        (
                            "open_count",
                            models.PositiveIntegerField(default=0, verbose_name="opens"),
                        ),
                        (
                            "click_count",
                            models.PositiveIntegerField(default=0, verbose_name="clicks"),
                        ),
                        (
                            "campaign",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="campaigns.carecampaign",
                                verbose_name="campaign",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="messages",
                                to="customers.customer",
                                verbose_name="customer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "outbox message",
                        "verbose_name_plural": "outbox messages",
                        "db_table": "campaigns_outboxmessage",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="MessageEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("deferred", "Deferred by quiet hours"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("retry", "Transient error, will retry"),
                                    ("failed", "Failed"),
                                    ("delivered", "Delivered"),
                                    ("bounced", "Bounced"),
                                    ("suppressed", "Suppressed"),
                                    ("opened", "Opened"),
                                    ("clicked", "Clicked"),
                                    ("replied", "Replied"),
                                    ("unsubscribed", "Unsubscribed"),
                                    ("requeued", "Requeued"),
                                    ("uncertain", "Outcome uncertain"),
                                    ("resolved", "Settled by an operator"),
                                ],
                                max_length=12,
                                verbose_name="what",
                            ),
                        ),
                        ("at", models.DateTimeField(verbose_name="when")),
                        (
                            "detail",
                            models.JSONField(blank=True, default=dict, verbose_name="detail"),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="delivery.outboxmessage",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "message event",
                        "verbose_name_plural": "message events",
                        "db_table": "campaigns_messageevent",
                        "ordering": ["at", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="QuietHours",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("sms", "SMS"),
                                    ("email", "Email"),
                                    ("wecom", "WeCom"),
                                    ("push", "App push"),
                                ],
                                max_length=10,
                                unique=True,
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "starts_at",
                            models.TimeField(default=datetime.time(21, 0), verbose_name="from"),
                        ),
                        (
                            "ends_at",
                            models.TimeField(default=datetime.time(8, 0), verbose_name="until"),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "quiet hours",
                        "verbose_name_plural": "quiet hours",
                        "db_table": "campaigns_quiethours",
                        "ordering": ["channel"],
                    },
                ),
                migrations.CreateModel(
                    name="Unsubscribe",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("sms", "SMS"),
                                    ("email", "Email"),
                                    ("wecom", "WeCom"),
                                    ("push", "App push"),
                                ],
                                default="",
                                max_length=10,
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "care_kind",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("birthday", "Birthday greetings"),
                                    ("holiday", "Holiday greetings"),
                                    ("service", "Service follow-ups"),
                                    ("event", "Event invitations"),
                                    ("promotion", "Offers and recommendations"),
                                ],
                                default="",
                                max_length=12,
                                verbose_name="kind of care",
                            ),
                        ),
                        (
                            "source",
                            models.CharField(
                                choices=[
                                    ("link", "Unsubscribe link"),
                                    ("one_click", "One-click (mail client)"),
                                    ("reply", "Reply message"),
                                    ("preference_page", "Preference page"),
                                    ("staff", "Recorded by staff"),
                                    ("complaint", "Spam complaint"),
                                ],
                                max_length=20,
                                verbose_name="how",
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="when"),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="unsubscribes",
                                to="customers.customer",
                                verbose_name="customer",
                            ),
                        ),
                        (
                            "message",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="delivery.outboxmessage",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "unsubscribe",
                        "verbose_name_plural": "unsubscribes",
                        "db_table": "campaigns_unsubscribe",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="FrequencyCap",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("sms", "SMS"),
                                    ("email", "Email"),
                                    ("wecom", "WeCom"),
                                    ("push", "App push"),
                                ],
                                help_text="Leave empty to count every channel together.",
                                max_length=10,
                                verbose_name="channel",
                            ),
                        ),
                        (
                            "max_messages",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(1000),
                                ],
                                verbose_name="at most",
                            ),
                        ),
                        (
                            "period_days",
                            models.PositiveSmallIntegerField(
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(365),
                                ],
                                verbose_name="in days",
                            ),
                        ),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "updated_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "frequency cap",
                        "verbose_name_plural": "frequency caps",
                        "db_table": "campaigns_frequencycap",
                        "ordering": ["channel", "period_days"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("channel", "period_days"),
                                name="frequencycap_one_per_period",
                            )
                        ],
                    },
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(
                        condition=models.Q(("status", "queued")),
                        fields=["priority", "send_after", "id"],
                        name="outbox_queued",
                    ),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(
                        condition=models.Q(("status", "sending")),
                        fields=["lease_until"],
                        name="outbox_sending",
                    ),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(
                        fields=["customer", "planned_on"], name="outbox_customer_day"
                    ),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(
                        fields=["campaign", "status"], name="outbox_campaign_status"
                    ),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(fields=["status", "sent_at"], name="outbox_status_sent"),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(fields=["provider_id"], name="outbox_provider_id"),
                ),
                migrations.AddIndex(
                    model_name="outboxmessage",
                    index=models.Index(
                        fields=["address", "channel", "sent_at"], name="outbox_address"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="outboxmessage",
                    constraint=models.UniqueConstraint(
                        fields=("campaign", "occasion", "customer", "channel"),
                        name="outbox_one_per_occasion",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="outboxmessage",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("reason__gt", ""), ("status", "suppressed")),
                            models.Q(
                                models.Q(("status", "suppressed"), _negated=True), ("reason", "")
                            ),
                            _connector="OR",
                        ),
                        name="outbox_suppressed_has_reason",
                    ),
                ),
                migrations.AddIndex(
                    model_name="messageevent",
                    index=models.Index(fields=["message", "at"], name="msgevent_message"),
                ),
                migrations.AddIndex(
                    model_name="messageevent",
                    index=models.Index(fields=["kind", "at"], name="msgevent_kind_at"),
                ),
                migrations.AddConstraint(
                    model_name="quiethours",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("starts_at", models.F("ends_at")), _negated=True),
                        name="quiethours_not_empty",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="unsubscribe",
                    constraint=models.UniqueConstraint(
                        fields=("customer", "channel", "care_kind"),
                        name="unsubscribe_one_per_scope",
                    ),
                ),
            ],
        ),
    ]
