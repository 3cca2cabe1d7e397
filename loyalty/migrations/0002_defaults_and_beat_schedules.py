"""The programme's default rules (one settings row) and the loyalty beat schedules, China
time: points for new orders every 10 minutes; expiry at 01:30; referral bonuses at 03:30,
after the nightly segmentation run (02:30) has set the VIP levels; birthday bonuses at
08:00. Created with get_or_create, so an admin's later edits survive every deploy."""

from django.db import migrations

SCHEDULES = [
    # name, task, crontab minute, hour
    ("Loyalty: points for new orders", "loyalty.accrue_orders", "*/10", "*"),
    ("Loyalty: expire unspent points", "loyalty.expire_points", "30", "1"),
    ("Loyalty: referral bonuses for new VIPs", "loyalty.grant_referral_bonuses", "30", "3"),
    ("Loyalty: birthday bonuses", "loyalty.grant_birthday_bonuses", "0", "8"),
]


def create_defaults(apps, schema_editor):
    LoyaltySettings = apps.get_model("loyalty", "LoyaltySettings")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if not LoyaltySettings.objects.exists():
        LoyaltySettings.objects.create()
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
        ("loyalty", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_schedules)]
