"""The delivery guarantees with the real components: Celery workers and beat on Redis
(separate processes, killed with SIGKILL where the test says so), PostgreSQL, and the
local HTTP stand-in for the SMS gateway — without de-duplication, as a provider with no
idempotency key behaves: every repeated post is a customer who got the message twice.

The workers read the test database (committed data: ``transaction=True``) and post to the
stand-in running in this process. Messages are dispatched for ``DUE_DAY`` and then made
due now, as beat would find them.
"""

import datetime as dt
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from campaigns.models import (
    MessageEvent,
    MessageEventKind,
    MessageStatus,
    OutboxMessage,
    QuietHours,
    SuppressionReason,
    TouchChannel,
    Unsubscribe,
    UnsubscribeSource,
)
from campaigns.selectors.due import local_zone
from campaigns.services.dispatch import touches_dispatch
from campaigns.sources import campaign_messages, campaign_source
from carecrm.core.testing import Beat, Worker, base_env, worker_database_url
from customers.models import ChannelConsent, ConsentMethod, Customer
from customers.services.records import consent_set
from customers.tests.factories import CustomerFactory
from delivery.standin import GatewayStandIn
from delivery.tests.senders import DUE_DAY, due_campaign

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="REDIS_URL is not set: the real-worker delivery tests run in the "
        "PostgreSQL+Redis CI run",
    ),
]

BATCH = 20


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("workers and this test must share one database: PostgreSQL only")


@pytest.fixture
def gateway():
    with GatewayStandIn(token="worker-test-token", dedupe=False) as standin:
        yield standin


@pytest.fixture
def worker_env(tmp_path, gateway):
    """The environment of every worker in a test: this test's database and Redis, SMS
    through the HTTP gateway in batches of ``BATCH``."""

    def make(**extra: str) -> dict:
        return base_env(
            tmp_path,
            worker_database_url(tmp_path),
            REDIS_URL=os.environ["REDIS_URL"],
            DELIVERY_SMS_BACKEND="http",
            DELIVERY_SMS_URL=f"{gateway.url}/sms",
            DELIVERY_SMS_TOKEN=gateway.token,
            DELIVERY_SMS_BATCH=str(BATCH),
            DELIVERY_SMS_RATE="0",
            **extra,
        )

    return make


@pytest.fixture
def workers():
    """Start workers through this; every one still running is stopped at the end."""
    started: list[Worker] = []

    def start(env: dict, queue: str, **options) -> Worker:
        worker = Worker(env=env, queue=queue, name=f"{queue}-{len(started)}", **options)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def _no_quiet_hours_unless_asked():
    """Tests may run at any hour; only the quiet-hours test sets a window."""
    QuietHours.objects.all().delete()


def audience(department, *, consenting: int, refusing: int = 0) -> list[Customer]:
    """Customers with SMS consent (first) and without (last), written in bulk."""
    customers = Customer.objects.bulk_create(
        CustomerFactory.build_batch(consenting + refusing, department=department)
    )
    ChannelConsent.objects.bulk_create(
        ChannelConsent(
            customer=customer,
            channel=TouchChannel.SMS,
            granted=index < consenting,
            method=ConsentMethod.FORM,
            changed_at=timezone.now(),
        )
        for index, customer in enumerate(customers)
    )
    return customers


def dispatch_due_now(**campaign_fields):
    campaign = due_campaign(**campaign_fields)
    touches_dispatch(on=DUE_DAY)
    OutboxMessage.objects.filter(
        source=campaign_source(campaign), status=MessageStatus.QUEUED
    ).update(send_after=timezone.now() - dt.timedelta(minutes=1))
    return campaign


def send_messages(queue: str, *, seconds: float = 30):
    from carecrm.celery import app

    return app.send_task("campaigns.send_messages", kwargs={"seconds": seconds}, queue=queue)


def unfinished() -> int:
    return OutboxMessage.objects.filter(
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
    ).count()


def wait_until(condition, *, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def beat(tmp_path):
    """Beat running only ``campaigns.start_senders``, every second instead of every
    minute, on the test's queue."""
    started: list[Beat] = []

    def start(env: dict, queue: str) -> Beat:
        PeriodicTask.objects.update(enabled=False)
        every_second, _ = IntervalSchedule.objects.get_or_create(
            every=1, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.update_or_create(
            name="test: start senders",
            defaults={
                "task": "campaigns.start_senders",
                "interval": every_second,
                "queue": queue,
                "enabled": True,
            },
        )
        process = Beat(env=env)
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.stop()


def settled() -> bool:
    return not OutboxMessage.objects.filter(
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.UNCERTAIN]
    ).exists()


def restart_postgresql() -> None:
    """Restart this machine's PostgreSQL cluster: every open connection is cut."""
    clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not clusters or not shutil.which("pg_ctlcluster"):
        pytest.skip("needs a local Debian PostgreSQL cluster (pg_ctlcluster) to restart")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "restart"],
        check=True,
        timeout=120,
    )
    connection.close()  # this process's connection was cut too


@pytest.mark.parametrize(
    "kill",
    [
        "one of two workers",
        "both workers",
        "a prefork parent",
        pytest.param("a PostgreSQL restart", marks=pytest.mark.restarts_database),
    ],
)
def test_after_a_sigkill_mid_send_beat_alone_recovers_with_no_duplicate_and_nothing_lost(
    kill, department_a, staff_a, manager_a, gateway, worker_env, workers, beat
):
    """Senders die with batches claimed and handed over. Nobody enqueues a sender by
    hand: beat settles the expired leases (never-posted rows go back to the queue, posted
    ones become uncertain), asks the gateway about the uncertain ones after the grace
    period, and starts senders for what is due."""
    customers = audience(department_a, consenting=2000, refusing=40)
    consenting = {c.mobile for c in customers[:2000]}
    campaign = dispatch_due_now(department=department_a, author=staff_a, manager=manager_a)
    gateway.script.delay = 0.02
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = worker_env(
        DELIVERY_LEASE_SECONDS="3", DELIVERY_LOOKUP_GRACE_SECONDS="2", CELERY_QUEUE=queue
    )

    first = workers(env, queue, pool="prefork", concurrency=2)
    second = (
        workers(env, queue, pool="prefork", concurrency=2) if kill != "a prefork parent" else None
    )
    for _ in range(2):
        send_messages(queue, seconds=120)
    wait_until(lambda: len(gateway.received) >= 2000 // 3, what="a third of the messages")
    if kill == "a PostgreSQL restart":
        restart_postgresql()  # the senders' connections are cut mid-batch; they live on
    elif kill == "a prefork parent":
        os.kill(first.process.pid, signal.SIGKILL)  # the pool children are orphaned
    else:
        first.kill()
    if kill == "both workers":
        second.kill()
    received_at_kill = len(gateway.received)
    in_flight = OutboxMessage.objects.filter(status=MessageStatus.SENDING).count()
    if kill in ("both workers", "a prefork parent"):
        workers(env, queue, pool="prefork", concurrency=2)  # the supervisor restarts it
    beat(env, queue)
    wait_until(settled, timeout=120, what="every message settled")

    assert received_at_kill < 1900, "the worker was killed too late to prove anything"
    assert in_flight > 0, "the kill left no claimed message behind"
    assert gateway.duplicates() == 0
    assert gateway.deliveries_to() == dict.fromkeys(consenting, 1)
    statuses = Counter(campaign_messages(campaign).values_list("status", "reason"))
    assert statuses == {
        (MessageStatus.SENT, ""): 2000,
        (MessageStatus.SUPPRESSED, SuppressionReason.NO_CONSENT): 40,
    }
    assert MessageEvent.objects.filter(
        kind__in=[MessageEventKind.REQUEUED, MessageEventKind.UNCERTAIN]
    ).exists(), "nothing was left for beat to recover"


def test_500s_and_lost_answers_with_real_workers_and_beat_never_duplicate_or_lose(
    department_a, staff_a, manager_a, gateway, worker_env, workers, beat
):
    """20 % of posts refused with HTTP 500, 5 % taken and answered after the senders gave
    up: refused batches are retried, the others become uncertain (listed on the
    operations page), and beat settles them with the gateway's status lookup."""
    customers = audience(department_a, consenting=2000)
    campaign = dispatch_due_now(department=department_a, author=staff_a, manager=manager_a)
    gateway.script.fail_ratio = 0.2
    gateway.script.accept_then_hang = 0.05
    gateway.script.hang = 1.5
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = worker_env(
        CELERY_QUEUE=queue,
        DELIVERY_HTTP_TIMEOUT="0.5",
        DELIVERY_RETRY_BASE_SECONDS="1",
        DELIVERY_MAX_ATTEMPTS="30",
        DELIVERY_LOOKUP_GRACE_SECONDS="2",
    )
    workers(env, queue, pool="prefork", concurrency=2)
    workers(env, queue, pool="prefork", concurrency=2)

    beat(env, queue)
    wait_until(settled, timeout=180, what="every message settled")

    assert gateway.status_counts[500] > 0
    assert MessageEvent.objects.filter(kind=MessageEventKind.UNCERTAIN).exists()
    assert gateway.duplicates() == 0
    assert gateway.deliveries_to() == {c.mobile: 1 for c in customers}
    assert Counter(campaign_messages(campaign).values_list("status", flat=True)) == {
        MessageStatus.SENT: 2000
    }


def test_two_senders_at_once_never_send_a_message_twice(
    department_a, staff_a, manager_a, gateway, worker_env, workers
):
    audience(department_a, consenting=600)
    dispatch_due_now(department=department_a, author=staff_a, manager=manager_a)
    gateway.script.delay = 0.05
    env = worker_env(DELIVERY_LEASE_SECONDS="120")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers(env, queue)
    workers(env, queue)

    results = [send_messages(queue, seconds=120), send_messages(queue, seconds=120)]
    reports = [result.get(timeout=120) for result in results]

    assert all(report["sent"] > 0 for report in reports), reports  # both really sent
    assert sum(report["sent"] for report in reports) == 600
    posts = Counter(message["id"] for message in gateway.received)
    assert len(posts) == 600
    assert set(posts.values()) == {1}
    assert unfinished() == 0


def test_a_customer_who_unsubscribes_before_their_post_receives_nothing(
    department_a, staff_a, manager_a, gateway, worker_env, workers
):
    """The message waits in the queue or, claimed with the rest of a claim, for its
    batch: the re-check at its hand-over stops it."""
    customers = audience(department_a, consenting=300)
    campaign = dispatch_due_now(department=department_a, author=staff_a, manager=manager_a)
    last = campaign_messages(campaign).latest("pk")
    leaver = last.customer
    gateway.script.delay = 0.05
    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers(worker_env(), queue)

    result = send_messages(queue, seconds=120)
    wait_until(lambda: len(gateway.received) >= BATCH, what="the first batch")
    waiting = OutboxMessage.objects.get(pk=last.pk)
    assert waiting.status in (MessageStatus.QUEUED, MessageStatus.SENDING)
    assert waiting.handed_at is None, "already posted: the test proves nothing"
    Unsubscribe.objects.create(customer=leaver, source=UnsubscribeSource.LINK)
    consent_set(
        customer=leaver,
        channel=TouchChannel.SMS,
        granted=False,
        method=ConsentMethod.UNSUBSCRIBE_LINK,
        user=None,
    )
    result.get(timeout=120)

    deliveries = gateway.deliveries_to()
    assert leaver.mobile not in deliveries
    assert len(deliveries) == len(customers) - 1
    last.refresh_from_db()
    assert (last.status, last.reason) == (
        MessageStatus.SUPPRESSED,
        SuppressionReason.UNSUBSCRIBED,
    )


def test_quiet_hours_defer_and_the_message_goes_when_they_end(
    department_a, staff_a, manager_a, gateway, worker_env, workers
):
    audience(department_a, consenting=5)
    campaign = dispatch_due_now(department=department_a, author=staff_a, manager=manager_a)
    now = timezone.localtime(timezone.now(), local_zone())
    window_end = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    QuietHours.objects.create(
        channel=TouchChannel.SMS,
        starts_at=(now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        ends_at=window_end.time(),
    )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers(worker_env(), queue)

    report = send_messages(queue).get(timeout=60)

    assert report["deferred"] == 5 and report["sent"] == 0
    assert gateway.received == []
    messages = campaign_messages(campaign)
    assert {(m.status, m.deferred, m.send_after) for m in messages} == {
        (MessageStatus.QUEUED, True, window_end)
    }

    # The window has ended: an hour later the window lies behind and the message is due.
    QuietHours.objects.filter(channel=TouchChannel.SMS).update(
        starts_at=(now - dt.timedelta(hours=2)).time(),
        ends_at=(now - dt.timedelta(minutes=30)).time(),
    )
    messages.update(send_after=timezone.now() - dt.timedelta(seconds=1))
    report = send_messages(queue).get(timeout=60)

    assert report["sent"] == 5
    assert len(gateway.deliveries_to()) == 5
    assert set(messages.values_list("status", flat=True)) == {MessageStatus.SENT}
