"""The nightly run that records the outcome of goals whose deadline has passed, at 00:30
China time, created with get_or_create so an admin's later edits survive every deploy."""

from django.db import migrations

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
        ("dashboard", "0002_goal_outcome"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
