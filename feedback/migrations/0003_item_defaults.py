"""Default deadlines by severity (care programme §4: a response within 24 h, high risk
12 h, a crisis within 3 h) and the 15-minute escalation run, created once with
get_or_create so an admin's later edits survive every deploy."""

from django.db import migrations

DEADLINES = [
    ("critical", 3, 24),
    ("high", 12, 48),
    ("medium", 24, 72),
    ("low", 48, 168),
]
SCHEDULE = ("Feedback: escalate overdue items", "feedback.escalate_items")


def create_defaults(apps, schema_editor):
    SeverityDeadline = apps.get_model("feedback", "SeverityDeadline")
    for severity, respond, resolve in DEADLINES:
        SeverityDeadline.objects.get_or_create(
            severity=severity,
            defaults={"respond_within_hours": respond, "resolve_within_hours": resolve},
        )
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="*/15",
        hour="*",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    name, task = SCHEDULE
    PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
    )


def remove_defaults(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE[0]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_survey_beat_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
