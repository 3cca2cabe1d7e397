"""Goal outcomes, and the nightly run that records them at 00:30 China time (the
schedule created with get_or_create so an admin's later edits survive every deploy)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

SCHEDULE = (
    "Dashboard: record the outcome of goals past their deadline",
    "dashboard.record_goal_outcomes",
)


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="0",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    name, task = SCHEDULE
    PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE[0]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0007_delivery_moves_out"),
        ("dashboard", "0003_report_beat_schedule"),
        ("events", "0002_beat_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="GoalOutcome",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("campaign", "Campaign"), ("event", "Event")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("metric", models.CharField(max_length=20, verbose_name="metric")),
                (
                    "baseline",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=14,
                        null=True,
                        verbose_name="baseline",
                    ),
                ),
                (
                    "target",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="target"),
                ),
                ("deadline", models.DateField(verbose_name="deadline")),
                (
                    "actual",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="actual"),
                ),
                ("met", models.BooleanField(verbose_name="met")),
                (
                    "decided_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="decided at"
                    ),
                ),
                (
                    "campaign",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="goal_outcome",
                        to="campaigns.carecampaign",
                        verbose_name="campaign",
                    ),
                ),
                (
                    "event_goal",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="outcome",
                        to="events.eventgoal",
                        verbose_name="event goal",
                    ),
                ),
            ],
            options={
                "verbose_name": "goal outcome",
                "verbose_name_plural": "goal outcomes",
                "ordering": ["-deadline", "-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(
                                ("campaign__isnull", False),
                                ("event_goal__isnull", True),
                                ("kind", "campaign"),
                            ),
                            models.Q(
                                ("campaign__isnull", True),
                                ("event_goal__isnull", False),
                                ("kind", "event"),
                            ),
                            _connector="OR",
                        ),
                        name="goaloutcome_one_goal",
                    )
                ],
            },
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
