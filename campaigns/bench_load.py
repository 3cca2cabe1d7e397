# ruff: noqa: S608  (SQL built from table names and integers computed here)
"""Benchmark suite "load" (``python manage.py bench load``): 50 staff users browse while a
100,000-recipient send runs — the security-hardening issue's load test, on loopback.

What runs, all started by the suite and all stopped by it (also on Ctrl-C or an error):

- **the web server as in production**: gunicorn ``carecrm.wsgi`` with 3 workers (the
  Dockerfile's), ``DJANGO_ENV=production`` (DEBUG off, manifest static files collected
  into a temporary ``STATIC_ROOT`` and served by WhiteNoise, secure cookies, HSTS,
  HTTPS redirect), ``ALLOWED_HOSTS=127.0.0.1``, the bench database and Redis. The TLS
  proxy in front of it is left out: clients send ``X-Forwarded-Proto: https`` as the
  proxy would, and treat loopback as the secure channel its cookies need;
- **the delivery path as in production**: one approved one-off SMS campaign per
  department, due now, 100,000 × scale recipients in all; the dispatch task is sent to a
  Celery worker (prefork, concurrency 2, as docker-compose runs it) on Redis, which writes
  the outbox and starts senders; Celery beat (database scheduler) starts more every
  minute; messages go to the local HTTP gateway stand-in (``delivery.standin``);
- **locust** (headless, in its own process: gevent must not patch this one), 50 users:
  each opens the login page with its static files, logs in through the real form (CSRF
  cookie and token, Origin and Referer as a browser sends them) and browses the home
  dashboard, the customer list (plain, name search, filters), customer pages, segment
  pages, the campaign list and pages and the campaign's message log, with 1–5 s of think
  time, for max(20, 60 × scale) seconds while the send runs.

Figures per page: requests, errors (any status but 2xx/3xx, an exception, or a page that
lands on the login form), median and p95 — each next to the bare SQL of the page's main
query, timed with psycopg2 in this process under the same load (one query every 0.2 s).
Then the send: messages per second while the users browsed, and whether the whole send
completed with every recipient reached exactly once.

Everything shares the machine: gunicorn's workers, the Celery worker, PostgreSQL, Redis,
locust's users and the baseline compete for the same CPUs (2 cores on the test machine),
so the figures are those of one small box doing everything at once.
"""

import contextlib
import ctypes
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from carecrm.core.bench import Figure, median_ms, p95_ms, register_suite

FULL_RECIPIENTS = 100_000
USERS = 50
DEPARTMENTS = ("华东销售部", "华南销售部", "华北销售部", "客服中心")
GUNICORN_WORKERS = 3
SPAWN_RATE = 5  # users starting per second (each logs in)
LOCUSTFILE = Path(__file__).with_name("bench_load_locust.py")
SMS_BODY = "【悦享生活】{name}，感恩节快乐！会员专享礼已备好 https://shop.example.cn/gift"
SEGMENT_RULES = (
    ("金卡与银卡会员", {"field": "vip_level", "op": "in", "value": ["gold", "silver"]}),
    ("高价值客户", {"field": "value_tier", "op": "in", "value": ["high"]}),
    ("流失风险", {"field": "lifecycle_stage", "op": "in", "value": ["churn_risk", "lost"]}),
)
SEARCH_TERMS = ("张", "王伟", "李", "陈静", "刘")
PAGES = (
    "home dashboard",
    "customer list",
    "customer list, name search",
    "customer list, filtered",
    "customer page (360°)",
    "segment list",
    "segment page",
    "campaign list",
    "campaign page",
    "message log",
)
FINISHED = ("sent", "delivered", "failed", "bounced", "suppressed", "uncertain")


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- data --------------------------------------------------------------------------------


def _seed(*, recipients: int, stdout) -> dict:
    """Departments, 50 staff users (one known password), ``recipients`` customers with SMS
    consent and orders, scores and tiers computed, saved segments counted, campaigns in
    several states and, per department, the approved one-off SMS campaign due now."""
    from campaigns.models import (
        CampaignContent,
        CampaignKind,
        CampaignStatus,
        CareCampaign,
        CareKind,
        Priority,
        QuietHours,
        TouchChannel,
    )
    from carecrm.accounts.models import Department, Role, User
    from carecrm.accounts.services import user_create
    from customers.bench_list import create_customers
    from segmentation.models import RunTrigger
    from segmentation.services.scoring import scoring_run
    from segmentation.services.segments import segment_count, segment_save

    started = time.perf_counter()
    departments = [
        Department.objects.create(name=f"{name}（压测）", code=f"bench-load-{n}")
        for n, name in enumerate(DEPARTMENTS)
    ]
    password = secrets.token_urlsafe(18)
    users = [
        user_create(
            username=f"load.staff{n:02d}",
            password=None,
            role=Role.STAFF,
            department=departments[n % len(departments)],
            display_name=f"压测员工{n:02d}",
        )
        for n in range(USERS)
    ]
    # One hash for all (50 PBKDF2 runs would only slow the seeding); logins check it.
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(password))
    department_ids = [d.pk for d in departments]
    create_customers(
        total=recipients,
        department_ids=department_ids,
        staff_id=users[0].pk,
        overrides={  # other suites' customers in the same database use +86159…
            "mobile": "'+86158' || lpad(i::text, 8, '0')",
            "email": "'load' || i || '@example.cn'",
        },
    )
    ids = ",".join(str(pk) for pk in department_ids)
    # 0–5 orders per customer over two years (one in six has none), about 2.5 on average.
    _execute(
        f"""
        INSERT INTO customers_order (customer_id, order_no, ordered_at, amount, store,
            created_at)
        SELECT c.id, 'LOAD-' || c.id || '-' || k,
            now() - ((abs(hashint4((c.id * 7 + k)::int)) % 730) || ' days')::interval,
            20 + (abs(hashint4((c.id * 13 + k)::int)) % 200000) / 100.0, '线上商城', now()
        FROM customers_customer c,
             generate_series(1, abs(hashint4(c.id::int)) % 6) k
        WHERE c.department_id IN ({ids})
        """
    )
    _execute(
        f"""
        INSERT INTO customers_channelconsent (customer_id, channel, granted, changed_at,
            method, note)
        SELECT id, 'sms', true, now(), 'form', '' FROM customers_customer
        WHERE department_id IN ({ids})
        """
    )
    for table in ("customers_customer", "customers_order", "customers_channelconsent"):
        _execute(f"VACUUM ANALYZE {table}")
    run = scoring_run(trigger=RunTrigger.MANUAL)
    stdout.write(
        f"  {recipients:,} customers in {len(departments)} departments with orders and SMS "
        f"consent; scored ({run.customers_changed:,} changed)"
    )

    segments: dict[int, list[int]] = {}
    for department in departments:
        author = next(u for u in users if u.department_id == department.pk)
        for name, condition in SEGMENT_RULES:
            segment = segment_save(
                user=author,
                name=name,
                kind="dynamic",
                department=department,
                rules={"match": "all", "conditions": [condition]},
            )
            segment_count(segment=segment, user=author)
            segments.setdefault(department.pk, []).append(segment.pk)

    QuietHours.objects.update(active=False)  # the bench may run at night
    now = timezone.now()
    campaigns: dict[int, list[int]] = {}
    sending: dict[int, int] = {}
    for department in departments:
        owner = next(u for u in users if u.department_id == department.pk)
        for n, status in enumerate(
            [CampaignStatus.DRAFT, CampaignStatus.FINISHED, CampaignStatus.FINISHED,
             CampaignStatus.PAUSED, CampaignStatus.DRAFT]
        ):  # fmt: skip
            other = CareCampaign.objects.create(
                name=f"往期关怀活动 {n + 1}",
                kind=CampaignKind.ONE_OFF,
                status=status,
                care_kind=CareKind.PROMOTION,
                priority=Priority.LOW,
                department=department,
                owner=owner,
                send_at=now - dt.timedelta(days=30 * (n + 1)),
            )
            CampaignContent.objects.create(campaign=other, channel=TouchChannel.SMS, body=SMS_BODY)
            campaigns.setdefault(department.pk, []).append(other.pk)
        campaign = CareCampaign.objects.create(
            name="感恩节会员关怀（短信）",
            kind=CampaignKind.ONE_OFF,
            status=CampaignStatus.APPROVED,
            care_kind=CareKind.HOLIDAY,
            priority=Priority.NORMAL,
            department=department,
            owner=owner,
            send_at=now - dt.timedelta(minutes=1),
            approved_at=now,
        )
        CampaignContent.objects.create(campaign=campaign, channel=TouchChannel.SMS, body=SMS_BODY)
        sending[department.pk] = campaign.pk
        campaigns[department.pk].append(campaign.pk)

    customers = {
        pk: [
            row[0]
            for row in _rows(
                "SELECT id FROM customers_customer WHERE department_id = %s "
                "ORDER BY hashint4(id::int) LIMIT 200",
                [pk],
            )
        ]
        for pk in department_ids
    }
    stdout.write(f"  seeded in {time.perf_counter() - started:,.0f} s")
    return {
        "password": password,
        "users": [
            {"username": u.username, "id": u.pk, "department": u.department_id} for u in users
        ],
        "departments": {
            str(pk): {
                "customers": customers[pk],
                "segments": segments[pk],
                "campaigns": campaigns[pk],
                "sending": sending[pk],
            }
            for pk in department_ids
        },
        "search_terms": list(SEARCH_TERMS),
        "sending_campaigns": list(sending.values()),
    }


# --- processes ---------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the bench process dies, even by
    SIGKILL (Linux ``PR_SET_PDEATHSIG``; elsewhere the bench's own cleanup has to do)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class _Child:
    """A subprocess in its own session (Ctrl-C reaches only the bench, which then stops it
    in order), output in a log file; :meth:`stop` ends it and everything it forked."""

    def __init__(self, name: str, argv: list[str], *, env: dict, logs: Path) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argv)
                argv,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_for(self, ready, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.tail()}")
            time.sleep(0.3)

    def logged(self, marker: str):
        return lambda: marker in self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # stragglers of the group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM ends the suite like Ctrl-C does: through the cleanup."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _production_env(*, tmp: Path, port: int, queue: str, gateway) -> dict:
    """What docker-compose gives the web server and the worker, pointed at the bench
    database, this run's Redis queue and the gateway stand-in."""
    env = dict(os.environ)
    for name in ("CELERY_TASK_ALWAYS_EAGER", "DEBUG", "SECURE_SSL_REDIRECT"):
        env.pop(name, None)
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="carecrm.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{port}",
        DATABASE_URL=_database_url(),
        CARECRM_VAR_DIR=str(tmp / "var"),
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        CELERY_QUEUE=queue,
        CACHE_KEY_PREFIX=queue,
        DELIVERY_SMS_BACKEND="http",
        DELIVERY_SMS_URL=f"{gateway.url}/sms",
        DELIVERY_SMS_TOKEN=gateway.token,
        DELIVERY_SMS_RATE="0",
        LOG_LEVEL="WARNING",
    )
    return env


def _health(port: int):
    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as answer:
                return answer.status == 200
        except OSError:
            return False

    return ready


# --- the bare-SQL baseline ---------------------------------------------------------------

_COLUMNS = (
    "id, name, kind, mobile, email, province, city, vip_level, value_tier, lifecycle_stage, "
    "total_spend, last_purchase_on, registered_on, relationship_manager_id, department_id, "
    "status"
)
_SCOPE = "(department_id = %(department)s OR relationship_manager_id = %(user)s)"


def _bare_queries() -> dict[str, list[str]]:
    """Per page, the SQL of its main query (the statements a page cannot do without),
    with ``%(department)s``, ``%(user)s``, ``%(customer)s``, ``%(campaign)s`` and
    ``%(term)s`` filled per round."""
    listing = f"SELECT {_COLUMNS} FROM customers_customer WHERE {_SCOPE} AND status = 'active' "
    return {
        "home dashboard": [
            f"SELECT count(*) FROM customers_customer WHERE {_SCOPE} AND status = 'active'"
        ],
        "customer list": [listing + "ORDER BY id DESC LIMIT 51"],
        "customer list, name search": [
            listing + "AND UPPER(name::text) LIKE UPPER(%(term)s) ORDER BY id DESC LIMIT 51"
        ],
        "customer list, filtered": [listing + "AND vip_level = 'gold' ORDER BY id DESC LIMIT 51"],
        "customer page (360°)": [
            f"SELECT * FROM customers_customer WHERE id = %(customer)s AND {_SCOPE}",
            "SELECT * FROM customers_order WHERE customer_id = %(customer)s "
            "ORDER BY ordered_at DESC LIMIT 20",
        ],
        "segment list": [
            "SELECT * FROM segmentation_segment WHERE department_id = %(department)s "
            "OR created_by_id = %(user)s ORDER BY name"
        ],
        "segment page": [
            f"SELECT count(*) FROM customers_customer WHERE {_SCOPE} AND status = 'active' "
            "AND vip_level IN ('gold', 'silver')",
            listing + "AND vip_level IN ('gold', 'silver') ORDER BY id DESC LIMIT 51",
        ],
        "campaign list": [
            "SELECT * FROM campaigns_carecampaign WHERE department_id = %(department)s "
            "OR owner_id = %(user)s ORDER BY created_at DESC LIMIT 25"
        ],
        "campaign page": [
            "SELECT status, count(*) FROM campaigns_outboxmessage "
            "WHERE source_id = (SELECT id FROM delivery_messagesource "
            "WHERE kind = 'campaign' AND object_id = %(campaign)s) GROUP BY status"
        ],
        "message log": [
            "SELECT m.* FROM campaigns_outboxmessage m "
            "JOIN customers_customer c ON c.id = m.customer_id "
            "WHERE m.source_id = (SELECT id FROM delivery_messagesource "
            "WHERE kind = 'campaign' AND object_id = %(campaign)s) "
            "AND (c.department_id = %(department)s "
            "OR c.relationship_manager_id = %(user)s) ORDER BY m.id DESC LIMIT 50"
        ],
    }


class _Baseline(threading.Thread):
    """Runs each page's bare SQL in turn, one statement group every 0.2 s, on its own
    psycopg2 connection while the users browse, and keeps each group's seconds."""

    def __init__(self, *, dsn: str, plan: dict) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.plan = plan
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def _params(self, round_no: int) -> dict:
        user = self.plan["users"][round_no % len(self.plan["users"])]
        department = self.plan["departments"][str(user["department"])]
        terms = self.plan["search_terms"]
        return {
            "user": user["id"],
            "department": user["department"],
            "customer": department["customers"][round_no % len(department["customers"])],
            "campaign": department["sending"],
            "term": f"%{terms[round_no % len(terms)]}%",
        }

    def run(self) -> None:
        import psycopg2

        try:
            with contextlib.closing(psycopg2.connect(self.dsn)) as bare:
                bare.autocommit = True
                cursor = bare.cursor()
                round_no = 0
                while not self.halt.is_set():
                    params = self._params(round_no)
                    for page, statements in _bare_queries().items():
                        started = time.perf_counter()
                        for statement in statements:
                            cursor.execute(statement, params)
                            cursor.fetchall()
                        self.samples[page].append(time.perf_counter() - started)
                        if self.halt.wait(0.2):
                            break
                    round_no += 1
        except BaseException as exc:  # reported by the suite, not lost in a thread
            self.error = exc


# --- the run -----------------------------------------------------------------------------


# The outbox rows of some campaigns are those of their sources.
CAMPAIGN_SOURCES = (
    "SELECT id FROM delivery_messagesource WHERE kind = 'campaign' AND object_id = ANY(%s)"
)


def _sent_between(campaigns: list[int], start, end) -> int:
    return _rows(
        "SELECT count(*) FROM campaigns_outboxmessage WHERE source_id IN "
        f"({CAMPAIGN_SOURCES}) "
        "AND sent_at >= %s AND sent_at < %s",
        [campaigns, start, end],
    )[0][0]


def _statuses(campaigns: list[int]) -> dict[str, int]:
    return dict(
        _rows(
            "SELECT status, count(*) FROM campaigns_outboxmessage WHERE source_id IN "
            f"({CAMPAIGN_SOURCES}) "
            "GROUP BY status",
            [campaigns],
        )
    )


def _page_figures(page: str, samples: list, bare: list[float]) -> list[Figure]:
    times = [ms / 1000 for _name, ms, _ok, _error in samples]
    errors = sum(1 for _name, _ms, ok, _error in samples if not ok)
    count = len(samples)
    rate = errors / count if count else 0.0
    has_bare = bool(bare)
    return [
        Figure(
            f"{page} ({count:,} requests, {errors:,} errors = {rate:.1%}) — median",
            median_ms(times) if times else 0.0,
            "ms",
            baseline_name="bare SQL of the page's main query, median" if has_bare else "",
            baseline_value=median_ms(bare) if has_bare else None,
        ),
        Figure(
            f"{page} — p95",
            p95_ms(times) if times else 0.0,
            "ms",
            baseline_name="bare SQL of the page's main query, p95" if has_bare else "",
            baseline_value=p95_ms(bare) if has_bare else None,
        ),
    ]


def run(*, scale: float, stdout) -> list[Figure]:
    from django_celery_beat.models import PeriodicTask

    from campaigns.tasks import dispatch_touches
    from delivery.standin import GatewayStandIn

    if not str(settings.CELERY_BROKER_URL).startswith("redis"):
        raise RuntimeError("The load suite runs Celery workers on Redis: set REDIS_URL.")
    recipients = max(int(FULL_RECIPIENTS * scale), 1000)
    duration = max(20, round(60 * scale))
    plan = _seed(recipients=recipients, stdout=stdout)
    campaigns = plan["sending_campaigns"]
    # Beat starts senders every minute; its other schedules (nightly scoring, dispatch
    # every five minutes …) stay off so that the send is the only background work.
    PeriodicTask.objects.exclude(task="campaigns.start_senders").update(enabled=False)
    queue = f"bench-load-{secrets.token_hex(4)}"
    python = sys.executable

    with (
        _sigterm_interrupts(),
        tempfile.TemporaryDirectory(prefix="carecrm-load-") as tmp_name,
        contextlib.ExitStack() as stack,
    ):
        tmp = Path(tmp_name)
        gateway = stack.enter_context(GatewayStandIn(token=secrets.token_urlsafe(16)))
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = _production_env(tmp=tmp, port=port, queue=queue, gateway=gateway)
        subprocess.run(  # noqa: S603 (fixed argv)
            [python, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
        )

        def start(name: str, argv: list[str]) -> _Child:
            child = _Child(name, argv, env=env, logs=tmp)
            stack.callback(child.stop)
            return child

        web = start(
            "gunicorn",
            [python, "-m", "gunicorn", "carecrm.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(GUNICORN_WORKERS)],
        )  # fmt: skip
        celery = [python, "-m", "celery", "-A", "carecrm"]
        worker = start(
            "worker",
            [*celery, "worker", "--pool=prefork", "--concurrency=2", "--queues", queue,
             "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
        )  # fmt: skip
        beat = start(
            "beat",
            [*celery, "beat", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
             "--pidfile=", "--loglevel=INFO"],
        )  # fmt: skip
        web.wait_for(_health(port), timeout=60)
        worker.wait_for(worker.logged(" ready."), timeout=60)
        beat.wait_for(beat.logged("beat: Starting"), timeout=60)
        stdout.write(
            f"  gunicorn ({GUNICORN_WORKERS} workers) on {base_url}, a Celery worker "
            f"(prefork, 2) and beat on queue {queue}, gateway stand-in on {gateway.url}"
        )

        plan_path, samples_path = tmp / "plan.json", tmp / "samples.json"
        browsing_path = tmp / "browsing"
        plan_path.write_text(json.dumps(plan))
        baseline = _Baseline(dsn=_database_url(), plan=plan)
        load_env = dict(
            os.environ,
            CARECRM_LOAD_PLAN=str(plan_path),
            CARECRM_LOAD_SAMPLES=str(samples_path),
            CARECRM_LOAD_BROWSING=str(browsing_path),
            CARECRM_LOAD_USERS=str(USERS),
            CARECRM_LOAD_SECONDS=str(duration),
        )
        locust = _Child(
            "locust",
            [python, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
             "--users", str(USERS), "--spawn-rate", str(SPAWN_RATE), "--host", base_url,
             "--only-summary", "--loglevel", "WARNING"],
            env=load_env,
            logs=tmp,
        )  # fmt: skip
        stack.callback(locust.stop)
        # The users log in first (a burst of PBKDF2 on the web workers); the send starts
        # when the last one is in, so the browsing window and the send overlap.
        locust.wait_for(browsing_path.exists, timeout=600)
        load_started = dt.datetime.fromtimestamp(float(browsing_path.read_text()), tz=dt.UTC)
        try:
            baseline.start()
            kicked = timezone.now()
            dispatched = dispatch_touches.apply_async(queue=queue).get(timeout=600)
            stdout.write(
                f"  all {USERS} users logged in; dispatch (in the worker) "
                f"{(timezone.now() - kicked).total_seconds():.1f} s: {dispatched}"
            )
            if dispatched.get("queued") != recipients:
                raise AssertionError(f"expected {recipients} queued messages: {dispatched}")
            locust.process.wait(timeout=duration + 300)
        finally:
            load_ended = timezone.now()
            baseline.halt.set()
            if baseline.is_alive():
                baseline.join()
        if baseline.error:
            raise baseline.error
        if not samples_path.exists():
            raise RuntimeError(f"locust wrote no samples:\n{locust.tail()}")
        sent_during_load = _sent_between(campaigns, load_started, load_ended)
        statuses_at_end = _statuses(campaigns)

        deadline = time.monotonic() + 120 + recipients / 100
        while time.monotonic() < deadline:
            statuses = _statuses(campaigns)
            if not statuses.get("queued") and not statuses.get("sending"):
                break
            time.sleep(1)
        statuses = _statuses(campaigns)
        last_sent = _rows(
            "SELECT max(sent_at) FROM campaigns_outboxmessage "
            f"WHERE source_id IN ({CAMPAIGN_SOURCES})",
            [campaigns],
        )[0][0]
        delivered = gateway.deliveries_to()
        samples = json.loads(samples_path.read_text())
        server_log = web.tail(40)
    # every process is stopped here

    # Pages count from the browsing window on (everyone logged in, the send running);
    # the login page, the login and static files from the start.
    browse_epoch = load_started.timestamp()
    by_page: dict[str, list] = defaultdict(list)
    for name, ms, ok, error, at in samples:
        if name in PAGES and at < browse_epoch:
            continue
        by_page[name].append((name, ms, ok, error))
    samples = [sample for page_samples in by_page.values() for sample in page_samples]
    load_seconds = (load_ended - load_started).total_seconds()
    sending_seconds = min(load_seconds, max((last_sent - load_started).total_seconds(), 0.001))
    completed = statuses.get("sent", 0) == recipients
    once = completed and len(delivered) == recipients and max(delivered.values()) == 1
    whole = (last_sent - kicked).total_seconds() if last_sent else 0.0

    stdout.write(f"  {'page':<34} {'requests':>8} {'errors':>6} {'median':>8} {'p95':>8}  bare p95")
    figures: list[Figure] = []
    pages = [*PAGES, "login page", "log in (form POST)", "static files (WhiteNoise)"]
    for page in pages + sorted(set(by_page) - set(pages)):
        page_samples = by_page.get(page, [])
        if not page_samples:
            stdout.write(f"  {page:<34} no requests")
            continue
        bare = baseline.samples.get(page, [])
        figures += _page_figures(page, page_samples, bare)
        times = [ms / 1000 for _n, ms, _ok, _e in page_samples] or [0.0]
        failed = [e for _n, _ms, ok, e in page_samples if not ok]
        stdout.write(
            f"  {page:<34} {len(page_samples):>8,} {len(failed):>6,} {median_ms(times):>6.0f} ms"
            f" {p95_ms(times):>5.0f} ms  {p95_ms(bare) if bare else 0:.2f} ms"
        )
        for error in sorted(set(failed))[:3]:
            stdout.write(f"      error: {error}")
    total_errors = sum(1 for sample in samples if not sample[2])
    stdout.write(
        f"  sending: {sent_during_load:,} SMS while the users browsed ({load_seconds:.0f} s; "
        f"status then {statuses_at_end}); whole send "
        f"{'completed' if completed else 'NOT completed'} {whole:.0f} s after dispatch, "
        f"status {statuses}; gateway: {len(delivered):,} "
        f"recipients, each once: {once}"
    )
    if total_errors:
        stdout.write("  last lines of gunicorn's log:\n" + server_log)
    figures += [
        Figure(
            f"all requests: {len(samples):,} by {USERS} users (logins, then {load_seconds:.0f} s "
            f"of browsing), {total_errors:,} errors",
            100 * total_errors / max(len(samples), 1),
            "% errors",
            goal="no errors",
        ),
        Figure(
            f"sending while the users browsed: {sent_during_load:,} of {recipients:,} SMS to "
            "the gateway stand-in (1 Celery worker, prefork 2)",
            sent_during_load / sending_seconds,
            "messages/s",
            higher_is_better=True,
            goal="reported",
        ),
        Figure(
            f"the whole {recipients:,}-recipient send, dispatch to last message "
            + (
                "(completed, every recipient reached once)"
                if once
                else f"(NOT completed or not once: {statuses})"
            ),
            whole,
            "s",
            goal="completes, each once",
        ),
    ]
    return figures


register_suite("load", run)
