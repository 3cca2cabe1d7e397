"""Delivery defaults: the caps care programme §3 asks for (≤ 1 a day, ≤ 3 in 7 days, ≤ 6 in
30 days across all channels), quiet hours 21:00–08:00 on every channel, the dispatch
lock row, each existing campaign's kind of care, and the beat schedules. Created with
get_or_create so an admin's later edits survive every deploy."""

import datetime as dt

from django.db import migrations

CAPS = [(1, 1), (3, 7), (6, 30)]
CHANNELS = ["sms", "email", "wecom", "push"]
CARE_KIND = {
    "birthday": "birthday",
    "holiday": "holiday",
    "trigger": "service",
    "one_off": "promotion",
    "recurring": "promotion",
}
SCHEDULES = [
    # name, task, crontab minute: dispatch often so trigger touches and new approvals go
    # out the same day; senders run every minute and stop when nothing is due.
    ("Delivery: dispatch due touches", "campaigns.dispatch_touches", "*/5"),
    ("Delivery: start senders for queued messages", "campaigns.start_senders", "*"),
]


def create_defaults(apps, schema_editor):
    FrequencyCap = apps.get_model("campaigns", "FrequencyCap")
    QuietHours = apps.get_model("campaigns", "QuietHours")
    DispatchLock = apps.get_model("campaigns", "DispatchLock")
    CareCampaign = apps.get_model("campaigns", "CareCampaign")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for max_messages, period_days in CAPS:
        FrequencyCap.objects.get_or_create(
            channel="", period_days=period_days, defaults={"max_messages": max_messages}
        )
    for channel in CHANNELS:
        QuietHours.objects.get_or_create(
            channel=channel, defaults={"starts_at": dt.time(21), "ends_at": dt.time(8)}
        )
    DispatchLock.objects.get_or_create(name="dispatch")
    for kind, care_kind in CARE_KIND.items():
        CareCampaign.objects.filter(kind=kind).update(care_kind=care_kind)
    for name, task, minute in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour="*",
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
    PeriodicTask.objects.filter(name__in=[name for name, _task, _minute in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_delivery"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_schedules)]
