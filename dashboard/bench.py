# ruff: noqa: S608  (SQL built from table names, column expressions and integers computed here)
"""Benchmark suite "dashboard" (``python manage.py bench dashboard``): the dashboard page
(``GET /``) at 1,000,000 × scale customers and 10,000,000 × scale orders, for a manager
and an admin, 20 users at once — issue 17's "Speed" (goal: p95 under 300 ms).

The data lives in its own database, ``<bench database>_dashboard``, kept between runs:
generating it takes minutes at scale 1, so a run reuses it when it holds the same sizes,
was made by this version of the generator and is under two weeks old (its figures are
relative to the day it was made); otherwise the database is dropped and made again.
Everything is written inside PostgreSQL, set-based (``INSERT … SELECT generate_series``
with deterministic ``hashint4`` values): departments and users, customers with VIP
levels, value tiers and lifecycle stages (``customers.bench_list``), referrals, orders
over two years (one in fifty a refund) and lines for a fifth of them, tier changes over
twelve monthly scoring runs, VIP calls and visits, quarterly surveys with invitations,
responses and answers, risk alerts, feedback items, campaigns with their messages and
held events with guests — each in proportion to the customers.

What is measured, as the load suite serves pages: gunicorn ``carecrm.wsgi`` with 3
workers in production mode (``campaigns.bench_load``'s environment: DEBUG off, Redis
cache, WhiteNoise) on loopback. 20 users log in through the real form, then, for each
role (20 managers of four departments; 20 admins):

- **cold**: every request is made right after the page's cache keys are deleted from
  Redis (sessions live in the database and survive), so each computes its figures;
- **warm**: the cache is filled first, then every user asks again and again.

The users ask at the same time (3 workers, so most requests wait in the listen queue
for a while). The figures are the **server time** gunicorn logs for each request
(``%(D)s``: from reading the request to writing the response; the wait in the queue is
not in it) — median and p95 — and, reported apart, the round trip each user saw. Each
stands next to the bare SQL of the heaviest figure, measured in the same run on the same
data and scope: several candidate figures (the twelve-month spend series, the VIP
repurchase rate, VIP contact coverage, satisfaction, the VIP-level breakdown) are timed
once and the slowest is timed 20 times.
"""

import contextlib
import datetime as dt
import http.client
import json
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from carecrm.core.bench import Figure, median_ms, p95_ms, register_suite

FULL_CUSTOMERS = 1_000_000
FULL_ORDERS = 10_000_000
USERS = 20
GUNICORN_WORKERS = 3
WARM_ROUNDS = 10  # requests per user, warm
COLD_ROUNDS = 1  # requests per user, cold: at a million customers each takes ~20 s of PostgreSQL
BARE_RUNS = 10
PAGE = "/"
GOAL = "p95 < 300 ms"
DATASET_VERSION = 1
DATASET_MAX_AGE = dt.timedelta(days=14)
MARKER = "bench_dashboard_dataset"
DEPARTMENTS = ("华东销售部", "华南销售部", "华北销售部", "客服中心")
CATEGORIES = ("咖啡", "茶", "甜点", "礼盒", "器具", "会员服务", "周边", "")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- the dataset's database ----------------------------------------------------------------


@contextlib.contextmanager
def _on_database(name: str):
    """The default connection on database ``name`` for the block, then back."""
    previous = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = previous
        settings.DATABASES["default"]["NAME"] = previous


def _database_exists(name: str) -> bool:
    return bool(_rows("SELECT 1 FROM pg_database WHERE datname = %s", [name]))


def _dataset(customers: int, orders: int) -> dict | None:
    """The kept dataset's plan if it can be reused, else None (the reason is printed)."""
    if not _rows("SELECT to_regclass(%s)", [MARKER])[0][0]:
        return None
    rows = _rows(f"SELECT customers, orders, version, generated_at, plan FROM {MARKER}")
    if not rows:
        return None
    kept_customers, kept_orders, version, generated_at, plan = rows[0]
    if (kept_customers, kept_orders, version) != (customers, orders, DATASET_VERSION):
        return None
    if timezone.now() - generated_at > DATASET_MAX_AGE:
        return None
    return {**(plan if isinstance(plan, dict) else json.loads(plan)), "generated_at": generated_at}


def _sql(value: dt.date | dt.datetime) -> str:
    """A date or time computed here as an SQL literal (generated expressions take no
    parameters: the defaults' parameters come first in the statement)."""
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return f"'{value.isoformat()}'::date"


def _insert(model, generated: dict[str, str], source: str, params=()) -> int:
    """``INSERT … SELECT`` into ``model``'s table: ``generated`` gives the SQL expression of
    some columns (no ``%`` nor parameters in them: ``mod()``, :func:`_sql`); ``params``
    fill the ``source``'s placeholders; every other column gets its model
    default, ``now()`` when it is set on save, or ``''`` when it is text that may be empty.
    A new required column without a default stops the run with its name."""
    columns, expressions, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        if column in generated:
            expression = generated[column]
        elif field.default is not NOT_PROVIDED:
            expression = "%s"
            values.append(field.get_db_prep_save(field.get_default(), connection))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expression = "now()"
        elif field.null:
            continue
        elif field.get_internal_type() in ("CharField", "TextField"):
            expression = "''"
        else:
            raise RuntimeError(f"The dashboard bench does not fill {model.__name__}.{field.name}.")
        columns.append(column)
        expressions.append(expression)
    return _execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}",
        [*values, *params],
    )


def _people(stdout) -> dict:
    """Four departments; per department five managers and a staff member; 20 admins."""
    from carecrm.accounts.models import Department, Role
    from carecrm.accounts.services import user_create

    departments = [
        Department.objects.create(name=f"{name}（看板压测）", code=f"bench-dash-{n}")
        for n, name in enumerate(DEPARTMENTS)
    ]
    managers, staff = [], []
    for n in range(USERS):
        department = departments[n % len(departments)]
        managers.append(
            user_create(
                username=f"dash.manager{n:02d}",
                password=None,
                role=Role.MANAGER,
                department=department,
                display_name=f"看板经理{n:02d}",
            ).pk
        )
    for n, department in enumerate(departments):
        staff.append(
            user_create(
                username=f"dash.staff{n:02d}",
                password=None,
                role=Role.STAFF,
                department=department,
                display_name=f"看板员工{n:02d}",
            ).pk
        )
    admins = [
        user_create(
            username=f"dash.admin{n:02d}",
            password=None,
            role=Role.ADMIN,
            department=None,
            display_name=f"看板管理员{n:02d}",
        ).pk
        for n in range(USERS)
    ]
    stdout.write(
        f"  {len(departments)} departments, {len(managers)} managers, {len(admins)} admins"
    )
    return {
        "departments": [d.pk for d in departments],
        "managers": managers,
        "staff": staff,
        "admins": admins,
    }


def _generate(*, customers: int, orders: int, stdout) -> dict:
    """The whole dataset, set-based; returns the plan (who logs in, which departments)."""
    from campaigns.models import (
        CampaignContent,
        CampaignKind,
        CampaignStatus,
        CareCampaign,
        CareKind,
        TouchChannel,
    )
    from campaigns.sources import campaign_source
    from customers.bench_list import create_customers
    from customers.models import Interaction, Order, OrderLine
    from delivery.models import OutboxMessage
    from events.models import Event, EventGoal, EventStatus, EventType, GoalMetric, Guest
    from feedback.models import (
        Answer,
        FeedbackItem,
        Question,
        QuestionKind,
        Response,
        Survey,
        SurveyInvitation,
        SurveyStatus,
    )
    from segmentation.bench import _without_indexes
    from segmentation.models import (
        RiskAlert,
        RiskRule,
        RunTrigger,
        ScoringRun,
        TierChange,
        TierPolicy,
    )

    started = time.perf_counter()
    plan = _people(stdout)
    ids = plan["departments"]
    department_list = ",".join(str(pk) for pk in ids)
    create_customers(total=customers, department_ids=ids, staff_id=plan["staff"][0])
    first_id, last_id = _rows("SELECT min(id), max(id) FROM customers_customer")[0]
    # One customer in fifty was referred by another, in the last two years.
    _execute(
        "UPDATE customers_customer SET referred_by_id = id - 7, "
        "referred_at = now() - mod(abs(hashint4(id::int)), 730) * interval '1 day' "
        "WHERE mod(abs(hashint4((id * 3)::int)), 50) = 0 AND id - 7 >= %s",
        [first_id],
    )
    stdout.write(f"  {customers:,} customers in {time.perf_counter() - started:,.0f} s")

    # Orders: a skewed number per customer over the last two years, 2 % refunds.
    mark = time.perf_counter()
    recreate = _without_indexes(Order._meta.db_table)
    _insert(
        Order,
        {
            "customer_id": f"{first_id} + floor(power(random(), 2) * {customers})::bigint",
            "order_no": "'DASH' || g",
            "ordered_at": "now() - random() * interval '730 days'",
            "amount": (
                "CASE WHEN random() < 0.02 THEN -round((random() * 500)::numeric, 2) "
                "ELSE round((20 + random() * 2000)::numeric, 2) END"
            ),
            "store": "'线上商城'",
        },
        f"FROM generate_series(1, {orders}) g",
    )
    for statement in recreate:
        _execute(statement)
    stdout.write(f"  {orders:,} orders in {time.perf_counter() - mark:,.0f} s")

    mark = time.perf_counter()
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
    recreate = _without_indexes(OrderLine._meta.db_table)
    _insert(
        OrderLine,
        {
            "order_id": "o.id",
            "product": "'商品' || mod(o.id, 97)",
            "category": f"({categories})[1 + mod(abs(hashint4(o.id::int)), {len(CATEGORIES)})]",
            "quantity": "1",
            "unit_price": "abs(o.amount)",
        },
        "FROM customers_order o WHERE mod(o.id, 5) = 0",
    )
    for statement in recreate:
        _execute(statement)
    stdout.write(f"  order lines for a fifth of the orders in {time.perf_counter() - mark:,.0f} s")

    # Twelve monthly scoring runs; in each, one customer in a hundred changed tier or level.
    mark = time.perf_counter()
    policy = TierPolicy.objects.order_by("-version").first()
    now = timezone.now()
    for month in range(12):
        as_of = now - dt.timedelta(days=30 * (11 - month))
        run = ScoringRun.objects.create(
            policy=policy,
            trigger=RunTrigger.NIGHTLY,
            as_of=as_of,
            finished_at=as_of,
        )
        _insert(
            TierChange,
            {
                "customer_id": "c.id",
                "run_id": str(run.pk),
                "field": "CASE WHEN mod(c.id, 2) = 0 THEN 'vip_level' ELSE 'value_tier' END",
                "old_value": "CASE WHEN mod(c.id, 2) = 0 THEN 'normal' ELSE 'medium' END",
                "new_value": "CASE WHEN mod(c.id, 2) = 0 THEN c.vip_level ELSE 'high' END",
                "direction": "'up'",
                "spend_window": "c.spend_12m",
                "purchases_window": "c.purchase_count_12m",
                "loyalty_score": "COALESCE(c.loyalty_score, 0)",
                "repurchase_rate": "c.repurchase_rate",
                "changed_at": _sql(as_of),
            },
            "FROM customers_customer c WHERE mod(abs(hashint4((c.id + %s)::int)), 100) = 0",
            [month * 7919],
        )

    # VIP care: a call or visit in most months of the last year.
    _insert(
        Interaction,
        {
            "customer_id": "c.id",
            "kind": "CASE WHEN mod(c.id + m, 4) = 0 THEN 'visit' ELSE 'call' END",
            "channel": "CASE WHEN mod(c.id + m, 4) = 0 THEN 'visit' ELSE 'phone' END",
            "occurred_at": "date_trunc('month', now()) - m * interval '1 month' "
            "+ mod(abs(hashint4((c.id * 11 + m)::int)), 27) * interval '1 day'",
            "summary": "'月度关怀回访'",
            "outcome": "'resolved'",
            "staff_id": "c.relationship_manager_id",
        },
        "FROM customers_customer c, generate_series(0, 11) m "
        "WHERE c.vip_level <> 'normal' AND mod(abs(hashint4((c.id * 31 + m)::int)), 10) < 7",
    )

    # Alerts: one customer in a hundred; a third resolved.
    rules = list(RiskRule.objects.order_by("pk").values_list("pk", "severity"))
    rule_ids = "ARRAY[" + ",".join(str(pk) for pk, _s in rules) + "]::bigint[]"
    _insert(
        RiskAlert,
        {
            "customer_id": "c.id",
            "rule_id": f"({rule_ids})[1 + mod(c.id, {len(rules)})]",
            "severity": "CASE WHEN mod(c.id, 7) = 0 THEN 'high' ELSE 'normal' END",
            "status": "(ARRAY['open', 'acknowledged', 'resolved'])[1 + mod(c.id / 100, 3)]",
            "resolution_note": "CASE WHEN mod(c.id / 100, 3) = 2 THEN '已回访' ELSE '' END",
            "due_at": "now() - mod(c.id, 90) * interval '1 day' + interval '1 day'",
            "created_at": "now() - mod(c.id, 90) * interval '1 day'",
        },
        "FROM customers_customer c WHERE mod(abs(hashint4((c.id * 5)::int)), 100) = 0",
    )
    stdout.write(f"  tier changes, VIP contacts and alerts in {time.perf_counter() - mark:,.0f} s")

    # Quarterly satisfaction surveys per department: invitations to one customer in forty,
    # half of whom answered a rating and an NPS question.
    mark = time.perf_counter()
    today = timezone.localdate()
    for department in ids:
        for quarter in range(4):
            opens = now - dt.timedelta(days=90 * (quarter + 1))
            survey = Survey.objects.create(
                title=f"季度满意度调查 Q{4 - quarter}",
                status=SurveyStatus.CLOSED if quarter else SurveyStatus.OPEN,
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=60),
                department_id=department,
            )
            rating = Question.objects.create(survey=survey, kind=QuestionKind.RATING, text="满意度")
            nps = Question.objects.create(
                survey=survey, kind=QuestionKind.NPS, text="推荐意愿", position=1
            )
            chosen = (
                "FROM customers_customer c WHERE c.department_id = %s "
                "AND mod(abs(hashint4((c.id + %s)::int)), 40) = 0"
            )
            _insert(
                SurveyInvitation,
                {
                    "survey_id": str(survey.pk),
                    "customer_id": "c.id",
                    "invited_at": _sql(opens),
                    "responded_at": (
                        f"CASE WHEN mod(c.id, 2) = 0 THEN {_sql(opens + dt.timedelta(days=3))} END"
                    ),
                },
                chosen,
                [department, survey.pk],
            )
            _insert(
                Response,
                {
                    "survey_id": str(survey.pk),
                    "invitation_id": "i.id",
                    "customer_id": "i.customer_id",
                    "submitted_at": "i.responded_at",
                },
                "FROM feedback_surveyinvitation i WHERE i.survey_id = %s "
                "AND i.responded_at IS NOT NULL",
                [survey.pk],
            )
            for question, top in ((rating, 5), (nps, 10)):
                _insert(
                    Answer,
                    {
                        "response_id": "r.id",
                        "question_id": str(question.pk),
                        "score": f"{top} - mod(abs(hashint4((r.id * 13)::int)), {top - 1})",
                    },
                    "FROM feedback_response r WHERE r.survey_id = %s",
                    [survey.pk],
                )
    _insert(
        FeedbackItem,
        {
            "title": "'投诉：配送延迟'",
            "customer_id": "c.id",
            "department_id": "c.department_id",
            "source": "'complaint'",
            "severity": "(ARRAY['low', 'medium', 'high', 'critical'])[1 + mod(c.id, 4)]",
            "status": "(ARRAY['new', 'in_progress', 'resolved', 'closed'])[1 + mod(c.id / 7, 4)]",
            "respond_by": "now() - mod(c.id, 60) * interval '1 day' + interval '1 day'",
            "resolve_by": "now() - mod(c.id, 60) * interval '1 day' + interval '3 days'",
            "created_at": "now() - mod(c.id, 60) * interval '1 day'",
        },
        "FROM customers_customer c WHERE mod(abs(hashint4((c.id * 17)::int)), 200) = 0",
    )
    stdout.write(f"  surveys, answers and feedback items in {time.perf_counter() - mark:,.0f} s")

    # Per department: a finished and a running SMS campaign, each to one customer in
    # twenty-five; two held events with 300 guests, 70 % of whom came.
    mark = time.perf_counter()
    owners = dict(zip(ids, plan["managers"], strict=False))
    for department in ids:
        for n, status in enumerate((CampaignStatus.FINISHED, CampaignStatus.ACTIVE)):
            campaign = CareCampaign.objects.create(
                name=f"会员关怀活动 {n + 1}",
                kind=CampaignKind.ONE_OFF,
                status=status,
                care_kind=CareKind.PROMOTION,
                department_id=department,
                owner_id=owners[department],
                goal_baseline=20,
                goal_target=30,
                goal_deadline=today + dt.timedelta(days=30 * (n * 2 - 1)),
                send_at=now - dt.timedelta(days=40 - 20 * n),
                approved_at=now - dt.timedelta(days=45),
            )
            CampaignContent.objects.create(
                campaign=campaign, channel=TouchChannel.SMS, body="【悦享生活】{name}，会员礼已备好"
            )
            sent = now - dt.timedelta(days=40 - 20 * n)
            _insert(
                OutboxMessage,
                {
                    "source_id": str(campaign_source(campaign).pk),
                    "customer_id": "c.id",
                    "channel": "'sms'",
                    "occasion": _sql(sent.date()),
                    "due_on": _sql(sent.date()),
                    "planned_on": _sql(sent.date()),
                    "care_kind": "'promotion'",
                    "priority": "2",
                    "address": "c.mobile",
                    "send_after": _sql(sent),
                    "status": "'delivered'",
                    "sent_at": _sql(sent),
                    "delivered_at": _sql(sent),
                    "clicked_at": (
                        f"CASE WHEN mod(c.id, 9) = 0 THEN {_sql(sent + dt.timedelta(hours=2))} END"
                    ),
                    "replied_at": (
                        f"CASE WHEN mod(c.id, 23) = 0 THEN {_sql(sent + dt.timedelta(hours=5))} END"
                    ),
                },
                "FROM customers_customer c WHERE c.department_id = %s "
                "AND mod(abs(hashint4((c.id + %s)::int)), 25) = 0",
                [department, campaign.pk],
            )
        for n in range(2):
            starts = now - dt.timedelta(days=20 + 60 * n)
            event = Event.objects.create(
                type=EventType.BANQUET,
                title=f"VIP 答谢晚宴 {n + 1}",
                status=EventStatus.HELD,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=3),
                capacity=400,
                department_id=department,
                owner_id=owners[department],
            )
            EventGoal.objects.create(
                event=event,
                metric=GoalMetric.ATTENDANCE,
                target=250,
                deadline=timezone.localdate(starts) + dt.timedelta(days=7),
            )
            _insert(
                Guest,
                {
                    "event_id": str(event.pk),
                    "customer_id": "c.id",
                    "status": "'accepted'",
                    "source": "'invited'",
                    "party_size": "1 + mod(c.id, 2)",
                    "invited_at": _sql(starts - dt.timedelta(days=30)),
                    "checked_in_at": f"CASE WHEN mod(c.id, 10) < 7 THEN {_sql(starts)} END",
                },
                "FROM (SELECT id FROM customers_customer WHERE department_id = %s "
                "AND vip_level <> 'normal' ORDER BY hashint4((id + %s)::int) LIMIT 300) c",
                [department, event.pk],
            )
    stdout.write(f"  campaigns, messages, events and guests in {time.perf_counter() - mark:,.0f} s")

    for table in (
        "customers_customer",
        "customers_order",
        "customers_orderline",
        "customers_interaction",
        "segmentation_tierchange",
        "segmentation_riskalert",
        "feedback_surveyinvitation",
        "feedback_response",
        "feedback_answer",
        "feedback_feedbackitem",
        "campaigns_outboxmessage",
        "events_guest",
    ):
        _execute(f"VACUUM ANALYZE {table}")
    _execute(
        f"CREATE TABLE {MARKER} (customers bigint, orders bigint, version integer, "
        "generated_at timestamptz, plan jsonb)"
    )
    _execute(
        f"INSERT INTO {MARKER} VALUES (%s, %s, %s, now(), %s)",
        [customers, orders, DATASET_VERSION, json.dumps(plan)],
    )
    stdout.write(
        f"  generated {customers:,} customers ({first_id}–{last_id}) and {orders:,} orders "
        f"in {time.perf_counter() - started:,.0f} s (departments {department_list})"
    )
    return {**plan, "generated_at": now}


def _prepare(*, customers: int, orders: int, stdout) -> tuple[str, dict]:
    """The dataset database, migrated and filled (kept from an earlier run if it fits)."""
    name = f"{connection.settings_dict['NAME']}_dashboard"
    started = time.perf_counter()
    if _database_exists(name):
        with _on_database(name):
            call_command("migrate", verbosity=0, interactive=False)
            plan = _dataset(customers, orders)
        if plan is not None:
            age = timezone.now() - plan["generated_at"]
            stdout.write(
                f"  reusing the dataset in {name} ({customers:,} customers, {orders:,} orders, "
                f"made {age.days} days ago; migrated in {time.perf_counter() - started:,.0f} s)"
            )
            return name, plan
        stdout.write(f"  {name} holds another dataset (size, version or age): making it again")
        _execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    _execute(f'CREATE DATABASE "{name}"')
    with _on_database(name):
        call_command("migrate", verbosity=0, interactive=False)
        stdout.write(f"  created and migrated {name} in {time.perf_counter() - started:,.0f} s")
        plan = _generate(customers=customers, orders=orders, stdout=stdout)
    return name, plan


# --- the bare-SQL baseline ------------------------------------------------------------------

CANDIDATES = {
    "the twelve-month series of spend, orders and buyers": (
        "SELECT date_trunc('month', o.ordered_at AT TIME ZONE %(tz)s) AS month, sum(o.amount), "
        "count(*) FILTER (WHERE o.amount > 0), "
        "count(DISTINCT o.customer_id) FILTER (WHERE o.amount > 0) "
        "FROM customers_order o JOIN customers_customer c ON c.id = o.customer_id "
        "WHERE c.status = 'active' {scope} AND o.ordered_at >= %(year_ago)s GROUP BY 1"
    ),
    "the VIP repurchase rate (VIPs who bought in the last 90 days)": (
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM customers_order o "
        "WHERE o.customer_id = c.id AND o.amount > 0 AND o.ordered_at >= %(quarter_ago)s)), "
        "count(*) FROM customers_customer c "
        "WHERE c.status = 'active' AND c.vip_level <> 'normal' {scope}"
    ),
    "this month's VIP contact coverage": (
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM customers_interaction i "
        "WHERE i.customer_id = c.id AND i.kind IN ('call', 'visit') "
        "AND i.occurred_at >= %(month_start)s)), count(*) FROM customers_customer c "
        "WHERE c.status = 'active' AND c.vip_level <> 'normal' {scope}"
    ),
    "the quarter's satisfaction (CSAT and NPS)": (
        "SELECT count(*) FILTER (WHERE q.kind = 'rating' AND a.score >= 4), "
        "count(*) FILTER (WHERE q.kind = 'rating'), "
        "count(*) FILTER (WHERE q.kind = 'nps' AND a.score >= 9), "
        "count(*) FILTER (WHERE q.kind = 'nps' AND a.score <= 6), "
        "count(*) FILTER (WHERE q.kind = 'nps') "
        "FROM feedback_answer a JOIN feedback_question q ON q.id = a.question_id "
        "JOIN feedback_response r ON r.id = a.response_id "
        "JOIN customers_customer c ON c.id = r.customer_id "
        "WHERE r.submitted_at >= %(quarter_ago)s AND a.score IS NOT NULL {scope}"
    ),
    "customers by VIP level": (
        "SELECT c.vip_level, count(*) FROM customers_customer c "
        "WHERE c.status = 'active' {scope} GROUP BY 1"
    ),
}


def _bare(role: str, department: int | None) -> dict:
    """Time every candidate once (after a warm-up), then the slowest ``BARE_RUNS`` times."""
    now = timezone.now()
    params = {
        "tz": settings.TIME_ZONE,
        "year_ago": now - dt.timedelta(days=365),
        "quarter_ago": now - dt.timedelta(days=90),
        "month_start": timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0),
        "department": department,
    }
    scope = "AND c.department_id = %(department)s" if department else ""

    def timed(sql: str) -> float:
        started = time.perf_counter()
        _rows(sql, params)
        return time.perf_counter() - started

    candidates = {name: sql.format(scope=scope) for name, sql in CANDIDATES.items()}
    first = {}
    for name, sql in candidates.items():
        timed(sql)
        first[name] = statistics.median(timed(sql) for _ in range(3))
    heaviest = max(first, key=first.get)
    samples = [timed(candidates[heaviest]) for _ in range(BARE_RUNS)]
    return {"name": heaviest, "samples": samples, "candidates": first, "role": role}


# --- the users ------------------------------------------------------------------------------


class _User:
    """One user's browser: a keep-alive connection, the cookies the server set (loopback
    stands for the TLS proxy, so ``Secure`` cookies are sent back), the proxy's header."""

    def __init__(self, port: int, phase: list[str]) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.phase = phase  # shared: the phase the server's log marks requests with
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: str | None = None, **headers):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "X-Bench-Phase": self.phase[0],
            **headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.http.request(method, path, body=body, headers=headers)
            answer = self.http.getresponse()
            content = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.http.close()
            raise
        seconds = time.perf_counter() - started
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer.status, answer.getheader("Location", ""), content, seconds

    def log_in(self, username: str, password: str) -> None:
        _status, _location, page, _s = self.request("GET", "/accounts/login/")
        token = _CSRF.search(page)
        if token is None:
            raise RuntimeError("the login page has no CSRF token")
        status, location, _page, _s = self.request(
            "POST",
            "/accounts/login/",
            urlencode(
                {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
            ),
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + "/accounts/login/",
            },
        )
        if status != 302 or "/accounts/login/" in location:
            raise RuntimeError(f"{username} could not log in: {status} {location}")

    def open_page(self) -> tuple[bool, float, str]:
        try:
            status, location, page, seconds = self.request("GET", PAGE)
        except (OSError, http.client.HTTPException) as exc:
            return False, 0.0, str(exc)[:200]
        if status != 200:
            return False, seconds, f"HTTP {status} {location}"
        if 'name="password"' in page:
            return False, seconds, "landed on the login form"
        return True, seconds, ""


def _clear_cache(client, prefix: str) -> None:
    """Delete the server's cache entries (``KEY_PREFIX:*``); sessions are in the database."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def _together(users: list[_User], rounds: int, before=None) -> list[tuple[bool, float, str]]:
    """Every user asks for the page ``rounds`` times, all at once (one thread each)."""
    results: list[tuple[bool, float, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(users))

    def browse(user: _User) -> None:
        start.wait()
        for _ in range(rounds):
            if before is not None:
                before()
            outcome = user.open_page()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=browse, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _server_times(log: Path) -> dict[str, list[float]]:
    """Seconds per request from gunicorn's access log, by the phase the client named."""
    times: dict[str, list[float]] = {}
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] != "-" and parts[1] == "200":
            times.setdefault(parts[0], []).append(int(parts[2]) / 1_000_000)
    return times


# --- the run ------------------------------------------------------------------------------------


def run(*, scale: float, stdout) -> list[Figure]:
    import redis

    from campaigns.bench_load import (
        _Child,
        _free_port,
        _health,
        _production_env,
        _sigterm_interrupts,
    )

    if not str(getattr(settings, "REDIS_URL", "") or "").startswith("redis"):
        raise RuntimeError(
            "The dashboard suite measures the Redis cache cold and warm: set REDIS_URL."
        )
    customers = max(int(FULL_CUSTOMERS * scale), 2_000)
    orders = max(int(FULL_ORDERS * scale), 20_000)
    name, plan = _prepare(customers=customers, orders=orders, stdout=stdout)
    password = secrets.token_urlsafe(18)
    python = sys.executable
    prefix = f"bench-dash-{secrets.token_hex(4)}"
    cache = redis.Redis.from_url(settings.REDIS_URL)
    phase = ["-"]
    results: dict[tuple[str, str], list] = {}
    bare: dict[str, dict] = {}

    with _on_database(name):
        from carecrm.accounts.models import User

        users = {"manager": plan["managers"], "admin": plan["admins"]}
        User.objects.filter(pk__in=users["manager"] + users["admin"]).update(
            password=make_password(password)
        )
        first_manager = User.objects.get(pk=users["manager"][0])
        bare["manager"] = _bare("manager", first_manager.department_id)
        bare["admin"] = _bare("admin", None)
        for role, figures in bare.items():
            stdout.write(
                f"  bare SQL, {role}: "
                + ", ".join(f"{n}: {s * 1000:.1f} ms" for n, s in figures["candidates"].items())
            )
        names = dict(
            User.objects.filter(pk__in=users["manager"] + users["admin"]).values_list(
                "pk", "username"
            )
        )

        with (
            _sigterm_interrupts(),
            tempfile.TemporaryDirectory(prefix="carecrm-dash-") as tmp_name,
            contextlib.ExitStack() as stack,
        ):
            tmp = Path(tmp_name)
            port = _free_port()
            # nothing is sent: the gateway's address only completes the environment
            gateway = SimpleNamespace(url="http://127.0.0.1:9", token=secrets.token_urlsafe(8))
            env = _production_env(tmp=tmp, port=port, queue=prefix, gateway=gateway)
            subprocess.run(  # noqa: S603 (fixed argv)
                [python, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
            access_log = tmp / "access.log"
            web = _Child(
                "gunicorn",
                [python, "-m", "gunicorn", "carecrm.wsgi", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(GUNICORN_WORKERS), "--access-logfile", str(access_log),
                 "--access-logformat", "%({x-bench-phase}i)s %(s)s %(D)s"],
                env=env,
                logs=tmp,
            )  # fmt: skip
            stack.callback(web.stop)
            web.wait_for(_health(port), timeout=60)
            stdout.write(
                f"  gunicorn ({GUNICORN_WORKERS} workers, production settings) on port {port}"
            )

            for role in ("manager", "admin"):
                phase[0] = f"{role}-login"
                mark = time.perf_counter()
                browsers = [_User(port, phase) for _ in range(USERS)]
                for browser, pk in zip(browsers, users[role], strict=True):
                    browser.log_in(names[pk], password)
                stdout.write(
                    f"  {USERS} {role}s logged in through the form in "
                    f"{time.perf_counter() - mark:,.0f} s"
                )
                phase[0] = f"{role}-warmup"
                _together(browsers, 1)
                phase[0] = f"{role}-cold"
                results[(role, "cold")] = _together(
                    browsers, COLD_ROUNDS, before=lambda: _clear_cache(cache, prefix)
                )
                phase[0] = f"{role}-warmfill"
                _together(browsers[:1], 1)
                phase[0] = f"{role}-warm"
                results[(role, "warm")] = _together(browsers, WARM_ROUNDS)
                for browser in browsers:
                    browser.http.close()
            time.sleep(1)  # the workers flush their access log lines
            server = _server_times(access_log)
            server_log = web.tail(20)
        _clear_cache(cache, prefix)

    figures: list[Figure] = []
    label = {"manager": "a manager (one department)", "admin": "an admin (every department)"}
    for role in ("manager", "admin"):
        baseline = bare[role]
        bare_name = f"bare SQL of the heaviest figure ({baseline['name']})"
        for state in ("cold", "warm"):
            outcomes = results[(role, state)]
            errors = [error for ok, _s, error in outcomes if not ok]
            times = server.get(f"{role}-{state}", [])
            round_trips = [seconds for ok, seconds, _e in outcomes if ok]
            sizes = f" at {customers:,} customers / {orders:,} orders" if not figures else ""
            what = (
                f"dashboard page{sizes}, {label[role]}, {state}"
                + (" (cache cleared before each request)" if state == "cold" else "")
                + f", {USERS} users at once ({len(outcomes):,} requests, {len(errors)} errors)"
            )
            trip = p95_ms(round_trips or [0])
            stdout.write(
                f"  {role} {state}: server median {median_ms(times or [0]):.0f} ms, p95 "
                f"{p95_ms(times or [0]):.0f} ms; round trip p95 {trip:.0f} ms; "
                f"{len(errors)} errors {sorted(set(errors))[:3]}"
            )
            if not times:
                raise RuntimeError(f"no server times for {role} {state}:\n{server_log}")
            figures += [
                Figure(
                    f"{what} — server time, median",
                    median_ms(times),
                    "ms",
                    baseline_name=f"{bare_name}, median",
                    baseline_value=median_ms(baseline["samples"]),
                ),
                Figure(
                    f"{label[role]}, {state} — server time, p95",
                    p95_ms(times),
                    "ms",
                    baseline_name=f"{bare_name}, p95",
                    baseline_value=p95_ms(baseline["samples"]),
                    goal=GOAL,
                ),
                Figure(
                    f"{label[role]}, {state} — round trip as the users saw it "
                    f"(waiting for one of {GUNICORN_WORKERS} workers included), p95",
                    p95_ms(round_trips or [0]),
                    "ms",
                    goal="reported",
                ),
            ]
    return figures


register_suite("dashboard", run)
