"""The events beat schedules: task reminders every morning at 08:30 China time, the
guests' day-before reminder at 10:00, and the hourly pass that marks finished events held.
Created with get_or_create so an admin's
later edits survive every deploy."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab minute, hour
    ("Events: remind owners of tasks due tomorrow and overdue", "events.remind_tasks", "30", "8"),
    ("Events: mark finished events held", "events.mark_held", "5", "*"),
    ("Events: remind accepted guests the day before", "events.remind_guests", "0", "10"),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month="*",
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
