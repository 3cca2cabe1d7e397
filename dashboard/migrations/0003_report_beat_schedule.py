"""The monthly care reports' beat schedule: every day at 07:00 China time. On the 1st it
sends last month's report to every recipient; on later days it sends only what is still
owed — a failed email, a manager appointed since, a run beat missed — so one missed
morning never costs a month's report. Created with get_or_create so an admin's later
edits survive every deploy."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab minute, hour
    ("Dashboard: email last month's care reports", "dashboard.send_monthly_reports", "0", "7"),
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
        ("dashboard", "0002_report_delivery"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
