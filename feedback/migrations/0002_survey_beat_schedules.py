"""The surveys' beat schedules (China time): closing surveys past their date every hour,
reminders at 10:30, the after-purchase invitations at 10:00, the guests of events
just held every hour, and the quarterly VIP survey
(checked daily at 09:00; it acts on a quarter's first day). Created with get_or_create so
an admin's later edits survive every deploy."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab minute, hour
    ("Feedback: close surveys past their closing date", "feedback.close_surveys", "10", "*"),
    ("Feedback: remind customers who have not answered", "feedback.remind_surveys", "30", "10"),
    ("Feedback: quarterly VIP satisfaction survey", "feedback.vip_quarterly", "0", "9"),
    ("Feedback: invite customers after a purchase", "feedback.after_purchase", "0", "10"),
    ("Feedback: invite the guests of events just held", "feedback.after_events", "20", "*"),
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
        ("feedback", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
