"""``manage.py beat_health``: exit 0 when Celery beat has run its every-minute task lately
— the container healthcheck of the beat service. A beat that is up but stuck (lost its
database, say) stops sending ``campaigns.start_senders``, and then nothing recovers dead
senders or sends what is due."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone


class Command(BaseCommand):
    help = "Check that beat ran its every-minute task recently (exit 1 if not)."

    def add_arguments(self, parser):
        parser.add_argument("--task", default="campaigns.start_senders")
        parser.add_argument(
            "--max-age",
            type=int,
            default=600,
            help="seconds; beat saves run times every few minutes, so allow several",
        )

    def handle(self, *args, task: str, max_age: int, **options):
        from django_celery_beat.models import PeriodicTask

        last = PeriodicTask.objects.filter(task=task, enabled=True).aggregate(
            last=Max("last_run_at")
        )["last"]
        if last is None:
            raise CommandError(f"beat has never run {task}")
        age = timezone.now() - last
        if age > dt.timedelta(seconds=max_age):
            raise CommandError(f"beat last ran {task} {int(age.total_seconds())} s ago")
        self.stdout.write(f"beat ran {task} {int(age.total_seconds())} s ago")
