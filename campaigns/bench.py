# ruff: noqa: S608  (SQL built from table names and integers computed here)
"""Benchmark suite "delivery" (``python manage.py bench delivery``).

1. Dispatch of a holiday campaign to 1,000,000 × scale customers into the outbox —
   unsubscribes, consent, contact validity, duplicates and the default frequency caps
   all checked, about 5 % of customers already at their daily cap — next to a bare
   ``INSERT … SELECT`` of the same rows from the customer table into a copy of the outbox
   table (same indexes) in the same run. Goal: within 3×.
2. End-to-end sending of 100,000 × scale of those messages to the local HTTP gateway
   stand-in by two sender processes (``messages_send``, as two Celery workers run it):
   claim, re-check, render, POST, record.
3. The deepest page (``?last=1``) of that campaign's message log and of a segment of all
   those customers (biggest spenders first), through Django's test client — session,
   scoping, keyset page, count estimate, audit of the addresses shown, template — each
   next to the bare keyset SQL of the same page. Goal: p95 under 100 ms.

Data is generated inside PostgreSQL with ``generate_series`` so loading is not measured.

Where the dispatch time goes (300,000 recipients, EXPLAIN ANALYZE and query timings on the
2-core test machine): the ``INSERT … SELECT`` itself about 60 % (the bare one's work plus
``ON CONFLICT`` on the unique key and the reasons: hashed subplans over unsubscribes and
consents, a merge join with the month's outbox history for the caps), the deferred
foreign-key checks at COMMIT about 33 % (a ``FOR KEY SHARE`` lookup of the customer and the
campaign per row; the bare copy has no foreign keys), counting and give-way the rest.
PostgreSQL's JIT compiled the statement for about 3 s at every size and never paid back,
so dispatch turns it off for its transaction. Sending is bounded by Python per message
(rendering, signed links) and by the three writes of each outbox row (claim, hand-over,
answer), each one statement per batch: a claim is one ``UPDATE … WHERE id IN (SELECT …
FOR UPDATE SKIP LOCKED LIMIT 500) RETURNING``, a hand-over one ``UPDATE … RETURNING``, a
batch's answers one ``UPDATE … FROM (VALUES …)``. The sending figure names the
conditions it was measured under (gateway latency, batch, rate limit, claim size).

Why this figure once read 496–674 messages/s while a separate 20,000-message run reached
2,000+: the bench analyses the outbox before dispatch, when no row is queued, and moves a
million rows' ``send_after`` just before sending; until autovacuum analysed the table
again the planner believed no row was queued, and the claim's ``UPDATE … WHERE id IN
(…) AND status = 'queued'`` walked the whole partial index of queued rows (0.5–2 s per
claim of 100). The claim no longer filters its outer ``UPDATE`` by status, so it does not
depend on when autovacuum runs.
"""

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from carecrm.core.bench import Figure, Stopwatch, child_env, p95_ms, register_suite, timed

SENDER_SCRIPT = """
import json, os, time, django
django.setup()
from django.db import connection
from delivery.services.sending import messages_send

def backend_cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:  # PostgreSQL on this machine, Linux
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
cpu, db_cpu = sum(os.times()[:2]), backend_cpu(backend)
started = time.time()
report = messages_send(seconds=3600)
finished = time.time()
cpu, db_cpu_after = sum(os.times()[:2]) - cpu, backend_cpu(backend)
print(json.dumps({
    "started": started, "finished": finished, "cpu": cpu,
    "db_cpu": None if db_cpu is None or db_cpu_after is None else db_cpu_after - db_cpu,
    **report.as_dict(),
}))
"""

LIST_REQUESTS = 50
LIST_WARM_UP = 5

OUTBOX_COLUMNS = (
    "source_id, customer_id, channel, occasion, due_on, planned_on, care_kind, message_class, "
    "priority, "
    "status, reason, address, send_after, deferred, attempts, subject, body, html_body, "
    "links, provider_id, error, error_code, created_at, open_count, click_count"
)


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _scalar(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _generate(*, customers: int, today: dt.date, stdout):
    """One department of customers with SMS consent (1 % without), 2 % unsubscribed, a
    finished promotion that already reached 5 % of them today (at the 1-a-day cap) and
    20 % once in the last month, and the holiday campaign due today."""
    from campaigns.models import (
        CampaignContent,
        CampaignKind,
        CampaignStatus,
        CareCampaign,
        CareKind,
        CompanyDay,
        FrequencyCap,
        HolidaySource,
        Priority,
        TouchChannel,
    )
    from campaigns.sources import campaign_source
    from carecrm.accounts.models import Department

    started = time.perf_counter()
    department = Department.objects.create(name="Bench delivery", code="bench-delivery")
    if not FrequencyCap.objects.filter(active=True, max_messages=1, period_days=1).exists():
        raise RuntimeError("the bench expects the default caps of migration 0004")
    _execute("SELECT setseed(0.7)")
    _execute(
        f"""
        INSERT INTO customers_customer (
            name, kind, mobile, mobile_last4, email, province, city, district, street,
            celebrates_lunar_birthday, lunar_birth_leap_month, gender, registered_on, source,
            industry, region, preferred_categories, preferred_channel, wecom_external_id,
            push_token, notes, status, contact_status, total_spend, spend_12m, purchase_count,
            purchase_count_12m, average_order_value, repurchase_rate, rfm_segment, value_tier,
            vip_level, lifecycle_stage, created_at, updated_at, department_id)
        SELECT '客户' || g, 'person', '+86138' || lpad(g::text, 8, '0'),
            right(lpad(g::text, 8, '0'), 4), '', '上海市', '上海市', '浦东新区', '', false,
            false, '', (now() - (random() * 1500) * interval '1 day')::date, 'import', '',
            '华东', '[]'::jsonb, '', '', '', '', 'active', 'unverified', 0,
            round((random() * 20000)::numeric, 2), 0, 0, 0, 0, '',
            '', 'normal', '', now(), now(), {department.pk}
        FROM generate_series(1, {customers}) g
        """
    )
    first = _scalar(
        "SELECT min(id) FROM customers_customer WHERE department_id = %s", [department.pk]
    )
    _execute(
        f"""
        INSERT INTO customers_channelconsent (customer_id, channel, granted, changed_at, method,
            note)
        SELECT id, 'sms', true, now(), 'form', '' FROM customers_customer
        WHERE department_id = {department.pk} AND (id - {first}) % 100 <> 4
        """
    )
    _execute(
        f"""
        INSERT INTO campaigns_unsubscribe (customer_id, channel, care_kind, source, note,
            created_at)
        SELECT id, '', '', 'link', '', now() FROM customers_customer
        WHERE department_id = {department.pk} AND (id - {first}) % 50 = 3
        """
    )
    promotion = CareCampaign.objects.create(
        name="Bench promotion",
        kind=CampaignKind.ONE_OFF,
        status=CampaignStatus.FINISHED,
        care_kind=CareKind.PROMOTION,
        priority=Priority.LOW,
        department=department,
    )
    for share, days_back in ((20, "0"), (5, f"1 + (id - {first}) %% 29")):
        _execute(
            f"""
            INSERT INTO campaigns_outboxmessage ({OUTBOX_COLUMNS}, sent_at)
            SELECT {campaign_source(promotion).pk}, id, 'sms', d, d, d, 'promotion', 'care', 3,
                'sent', '', mobile,
                d, false, 1, '', '', '', '[]', '', '', '', now(), 0, 0, d
            FROM (SELECT id, mobile, %s::date - ({days_back})::int AS d FROM customers_customer
                  WHERE department_id = {department.pk} AND (id - {first}) %% {share} = 1) c
            """,
            [today],
        )
    company_day = CompanyDay.objects.create(
        name="感恩节", month=today.month, day=today.day, department=department
    )
    holiday = CareCampaign.objects.create(
        name="Bench holiday greetings",
        kind=CampaignKind.HOLIDAY,
        status=CampaignStatus.APPROVED,
        holiday_source=HolidaySource.COMPANY_DAY,
        company_day=company_day,
        days_before=0,
        send_time=dt.time(10, 0),
        care_kind=CareKind.HOLIDAY,
        priority=Priority.NORMAL,
        department=department,
    )
    CampaignContent.objects.create(
        campaign=holiday,
        channel=TouchChannel.SMS,
        body="【悦享生活】{name}，感恩节快乐！会员专享礼已备好 https://shop.example.cn/gift",
    )
    for table in (
        "customers_customer",
        "customers_channelconsent",
        "campaigns_unsubscribe",
        "campaigns_outboxmessage",
    ):
        _execute(f"VACUUM ANALYZE {table}")
    stdout.write(
        f"  generated {customers:,} customers with consents, unsubscribes and history "
        f"in {time.perf_counter() - started:,.0f} s"
    )
    return department, holiday


def _bare_insert_seconds(*, department, holiday, today: dt.date) -> tuple[float, int]:
    """The same rows, unchecked, into an empty copy of the outbox table (same indexes)."""
    from campaigns.sources import campaign_source

    source_id = int(campaign_source(holiday).pk)
    _execute("DROP TABLE IF EXISTS bench_outbox_copy")
    _execute("CREATE TABLE bench_outbox_copy (LIKE campaigns_outboxmessage INCLUDING ALL)")
    with Stopwatch() as watch:
        rows = _execute(
            f"""
            INSERT INTO bench_outbox_copy ({OUTBOX_COLUMNS})
            SELECT {source_id}, c.id, 'sms', %s, %s, %s, 'holiday', 'care', 2,
                'queued', '',
                c.mobile, %s, false, 0, '', '', '', '[]', '', '', '', now(), 0, 0
            FROM customers_customer c
            WHERE c.department_id = {department.pk} AND c.status = 'active'
                AND c.mobile <> ''
            """,
            [today, today, today, timezone.now()],
        )
    _execute("DROP TABLE bench_outbox_copy")
    return watch.seconds, rows


# What a deployment's SMS gateway is like, stated in the figure's name: each request
# answered after GATEWAY_LATENCY seconds (the stand-in serves requests in threads, so
# the two senders' posts overlap, as at a provider), GATEWAY_BATCH messages per request,
# a channel rate limit shared by the senders (in Redis when the bench has one), and
# claims of CLAIM_SIZE messages (delivery.services.sending).
GATEWAY_LATENCY = 0.03
GATEWAY_BATCH = 100
SMS_RATE = 2000
SENDERS = 2


def _sender_env(gateway_url: str, token: str) -> dict:
    env = child_env()
    env.update(
        DELIVERY_SMS_BACKEND="http",
        DELIVERY_SMS_URL=f"{gateway_url}/sms",
        DELIVERY_SMS_TOKEN=token,
        DELIVERY_SMS_RATE=str(SMS_RATE),
        DELIVERY_SMS_BATCH=str(GATEWAY_BATCH),
    )
    if settings.REDIS_URL:
        # The rate counter shared in Redis, as in production; tasks still run inline.
        env.update(
            REDIS_URL=settings.REDIS_URL,
            CACHE_KEY_PREFIX=f"bench-{time.time_ns()}",
            CELERY_TASK_ALWAYS_EAGER="1",
        )
    return env


def sending_conditions() -> str:
    from delivery.services.sending import CLAIM_SIZE

    shared = "shared in Redis" if settings.REDIS_URL else "per sender, no Redis"
    return (
        f"{SENDERS} sender processes, claims of {CLAIM_SIZE}, {GATEWAY_BATCH} messages per "
        f"gateway request, {GATEWAY_LATENCY * 1000:.0f} ms gateway latency, rate limit "
        f"{SMS_RATE:,}/s ({shared})"
    )


def _send_seconds(*, holiday, messages: int, stdout) -> tuple[float, int, str]:
    """Make ``messages`` of the holiday's queued messages due now (the rest later), send
    them with two sender processes and check the gateway got each exactly once."""
    from campaigns.models import QuietHours
    from campaigns.sources import campaign_source
    from delivery.standin import GatewayStandIn

    QuietHours.objects.update(active=False)  # the bench may run at night
    _execute(
        "UPDATE campaigns_outboxmessage SET send_after = now() + interval '30 days' "
        "WHERE source_id = %s AND status = 'queued'",
        [campaign_source(holiday).pk],
    )
    due = _execute(
        "UPDATE campaigns_outboxmessage SET send_after = now() - interval '1 minute' "
        "WHERE id IN (SELECT id FROM campaigns_outboxmessage WHERE source_id = %s "
        "AND status = 'queued' ORDER BY id LIMIT %s)",
        [campaign_source(holiday).pk, messages],
    )
    # Those two UPDATEs rewrote every queued row just now, which no deployment does before
    # a send; autovacuum would have cleaned up after the dispatch by send time.
    _execute("VACUUM ANALYZE campaigns_outboxmessage")
    with GatewayStandIn(token="bench-token") as gateway:  # noqa: S106
        gateway.script.delay = GATEWAY_LATENCY
        env = _sender_env(gateway.url, gateway.token)
        senders = [
            subprocess.Popen(  # noqa: S603 (fixed argv)
                [sys.executable, "-c", SENDER_SCRIPT],
                cwd=Path(settings.BASE_DIR),
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(SENDERS)
        ]
        reports = []
        for sender in senders:
            out, _err = sender.communicate(timeout=3600)
            if sender.returncode:
                raise RuntimeError(f"a sender failed ({sender.returncode})")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        delivered = gateway.deliveries_to()
    seconds = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    sent = sum(r["sent"] for r in reports)
    cpu = sum(r["cpu"] for r in reports) / max(sent, 1) * 1000
    db_cpu = (
        None
        if any(r["db_cpu"] is None for r in reports)
        else sum(r["db_cpu"] for r in reports) / max(sent, 1) * 1000
    )
    stdout.write(
        f"  two senders: {sent:,} sent ({' + '.join(str(r['sent']) for r in reports)}) "
        f"in {seconds:.1f} s; the gateway got {len(delivered):,} distinct recipients; "
        f"CPU per message {cpu:.2f} ms in the senders"
        + (f", {db_cpu:.2f} ms in their PostgreSQL backends" if db_cpu is not None else "")
    )
    if sent != due or len(delivered) != due or max(delivered.values()) != 1:
        raise AssertionError(f"sent {sent}, due {due}, gateway {len(delivered)}")
    # CPU per message says what the machine's load cannot change: a busy machine lowers
    # the rate, not this.
    note = f"CPU per message: {cpu:.2f} ms senders" + (
        f" + {db_cpu:.2f} ms PostgreSQL" if db_cpu is not None else ""
    )
    return seconds, sent, note


def run(*, scale: float, stdout) -> list[Figure]:
    from campaigns.selectors.due import local_zone
    from campaigns.services.dispatch import touches_dispatch
    from campaigns.sources import campaign_messages

    customers = max(int(1_000_000 * scale), 1000)
    today = timezone.localtime(timezone.now(), local_zone()).date()
    department, holiday = _generate(customers=customers, today=today, stdout=stdout)

    _bare_insert_seconds(department=department, holiday=holiday, today=today)  # warm up
    with Stopwatch() as watch:
        result = touches_dispatch(on=today)
    written = campaign_messages(holiday).count()
    stdout.write(f"  dispatch: {watch.seconds:.2f} s, {written:,} rows, {result.as_dict()}")
    bare = [_bare_insert_seconds(department=department, holiday=holiday, today=today) for _ in "ab"]
    bare_seconds, bare_rows = min(bare)
    stdout.write(f"  bare INSERT … SELECT: {bare_seconds:.2f} s, {bare_rows:,} rows")
    if written != bare_rows:
        raise AssertionError(f"dispatch wrote {written} rows, the audience has {bare_rows}")

    # Beat runs dispatch again every five minutes; with nothing new it should cost about
    # a scan of the audience, not another insert (plain ANALYZE-free statistics).
    with Stopwatch() as rerun_watch:
        rerun = touches_dispatch(on=today)
    if rerun.queued or rerun.suppressed_total:
        raise AssertionError(f"a re-run wrote rows: {rerun.as_dict()}")
    scans = []
    for _ in "ab":
        with Stopwatch() as scan_watch:
            _execute(
                f"SELECT count(*) FROM customers_customer c WHERE c.department_id = "
                f"{department.pk} AND c.status = 'active' AND c.mobile <> ''"
            )
        scans.append(scan_watch.seconds)
    stdout.write(f"  re-run with nothing new: {rerun_watch.seconds:.2f} s")

    messages = min(max(int(100_000 * scale), 1000), result.queued)
    send_seconds, sent, cpu_note = _send_seconds(holiday=holiday, messages=messages, stdout=stdout)
    _execute("ANALYZE campaigns_outboxmessage")
    pages = _deepest_pages(department=department, holiday=holiday, messages=written)
    for figure in pages:
        stdout.write(f"  {figure.name}: {figure.value:.1f} ms (bare {figure.baseline_value:.1f})")
    baseline_name = "bare INSERT … SELECT of the same rows into a copy of the outbox table"
    return [
        Figure(
            f"dispatch of a holiday campaign to {written:,} customers (caps, unsubscribes, "
            f"consent checked; {result.queued:,} queued, {result.suppressed_total:,} "
            "suppressed)",
            written / watch.seconds,
            "messages/s",
            baseline_name,
            bare_rows / bare_seconds,
            higher_is_better=True,
            goal="within 3×",
        ),
        Figure(
            f"beat's dispatch re-run of the same {written:,}-customer campaign with nothing "
            "new (every customer has a row)",
            rerun_watch.seconds,
            "s",
            "SELECT count(*) of the audience",
            min(scans),
            goal="about a scan of the audience",
        ),
        _sending_figure(sent, send_seconds, cpu_note),
        *pages,
    ]


def _time_sql(sql: str, params: list) -> list[float]:
    with connection.cursor() as cursor:

        def run_once():
            cursor.execute(sql, params)
            cursor.fetchall()

        for _ in range(LIST_WARM_UP):
            run_once()
        return timed(run_once, repeat=LIST_REQUESTS)


def _time_page(client, url: str) -> list[float]:
    for _ in range(LIST_WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code}")
    return timed(lambda: client.get(url), repeat=LIST_REQUESTS)


def _deepest_pages(*, department, holiday, messages: int) -> list[Figure]:
    """The last page of the campaign's message log and of a segment of every customer,
    next to the bare keyset SQL of the same page (read backwards from the end)."""
    from django.test import Client

    from campaigns.sources import campaign_source
    from carecrm.accounts.models import Role
    from carecrm.accounts.services import user_create
    from segmentation.models import Segment, SegmentKind

    admin = user_create(username="bench-delivery-admin", password=None, role=Role.ADMIN)
    client = Client()
    client.force_login(admin)
    segment = Segment.objects.create(
        name="Bench everyone",
        kind=SegmentKind.DYNAMIC,
        rules={"match": "all", "conditions": []},
        department=department,
    )
    source = campaign_source(holiday)
    log = _time_page(client, f"/campaigns/{holiday.pk}/messages/?last=1")
    log_sql = _time_sql(
        "SELECT m.id, m.customer_id, c.name, m.channel, m.status, m.reason, m.address, "
        "m.planned_on, m.sent_at, m.delivered_at, m.attempts, m.error, m.created_at "
        "FROM campaigns_outboxmessage m JOIN customers_customer c ON c.id = m.customer_id "
        "WHERE m.source_id = %s ORDER BY m.created_at, m.id LIMIT %s",
        [source.pk, 51],
    )
    members = _time_page(client, f"/segments/{segment.pk}/?last=1")
    members_sql = _time_sql(
        "SELECT id, name, mobile, department_id, value_tier, vip_level, lifecycle_stage, "
        "spend_12m, last_purchase_on, relationship_manager_id FROM customers_customer "
        "WHERE department_id = %s AND status = 'active' ORDER BY spend_12m, id LIMIT %s",
        [department.pk, 26],
    )
    customers = _scalar(
        "SELECT count(*) FROM customers_customer WHERE department_id = %s", [department.pk]
    )
    return [
        Figure(
            f"deepest page of the message log of a {messages:,}-message campaign "
            f"(?last=1, admin, n={LIST_REQUESTS}) — p95",
            p95_ms(log),
            "ms",
            "bare keyset SQL of the same page, p95",
            p95_ms(log_sql),
            goal="p95 < 100 ms",
        ),
        Figure(
            f"deepest page of the members of a {customers:,}-customer segment, biggest "
            f"spenders first (?last=1, admin, n={LIST_REQUESTS}) — p95",
            p95_ms(members),
            "ms",
            "bare keyset SQL of the same page, p95",
            p95_ms(members_sql),
            goal="p95 < 100 ms",
        ),
    ]


def _sending_figure(sent: int, seconds: float, cpu_note: str) -> Figure:
    return Figure(
        f"end-to-end sending of {sent:,} SMS to the local HTTP gateway stand-in "
        f"({sending_conditions()}; {cpu_note})",
        sent / seconds,
        "messages/s",
        higher_is_better=True,
        goal="≥ 1,000 messages/s",
    )


def run_sending(*, scale: float, stdout) -> list[Figure]:
    """Only the sending figure: the same customers and dispatch, none of the baselines."""
    from campaigns.selectors.due import local_zone
    from campaigns.services.dispatch import touches_dispatch

    customers = max(int(1_000_000 * scale), 1000)
    today = timezone.localtime(timezone.now(), local_zone()).date()
    _department, holiday = _generate(customers=customers, today=today, stdout=stdout)
    result = touches_dispatch(on=today)
    messages = min(max(int(100_000 * scale), 1000), result.queued)
    send_seconds, sent, cpu_note = _send_seconds(holiday=holiday, messages=messages, stdout=stdout)
    return [_sending_figure(sent, send_seconds, cpu_note)]


register_suite("delivery", run)
register_suite("delivery-sending", run_sending)
