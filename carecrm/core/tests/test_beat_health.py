"""The beat service's healthcheck: healthy while beat keeps running its every-minute task,
unhealthy once it stopped (or never started)."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

pytestmark = pytest.mark.django_db


def _start_senders(last_run_at):
    every_minute, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.update_or_create(
        name="campaigns: start senders",
        defaults={
            "task": "campaigns.start_senders",
            "interval": every_minute,
            "last_run_at": last_run_at,
            "enabled": True,
        },
    )


def test_a_beat_that_ran_a_minute_ago_is_healthy():
    _start_senders(timezone.now() - dt.timedelta(minutes=1))
    out = io.StringIO()
    call_command("beat_health", stdout=out)
    assert "s ago" in out.getvalue()


@pytest.mark.parametrize("last_run", [None, dt.timedelta(minutes=30)], ids=["never", "stalled"])
def test_a_beat_that_stopped_or_never_ran_is_unhealthy(last_run):
    _start_senders(None if last_run is None else timezone.now() - last_run)
    with pytest.raises(CommandError):
        call_command("beat_health")
