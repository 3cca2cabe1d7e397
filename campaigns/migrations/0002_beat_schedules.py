"""Default beat schedules for the campaigns app, created once with get_or_create so that
an admin's later edits (time, enabled) survive every deploy."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour): touches are prepared after the nightly scoring
    # run (02:30) has recorded tier upgrades and churn-risk entries.
    ("Campaigns: rebuild product affinity", "campaigns.rebuild_affinity", ("15", "3")),
    ("Campaigns: prepare the day's touches", "campaigns.prepare_touches", ("0", "5")),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour) in SCHEDULES:
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
    PeriodicTask.objects.filter(name__in=[name for name, _task, _cron in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
