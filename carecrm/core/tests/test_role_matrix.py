"""Every route of the URL conf (pages and API), walked by each role — staff, manager,
admin — on a record of their own department and on one of another department, with every
method the route takes. Care programme: staff see their department's customers and the
ones they manage, managers their department, admins everything; settings are for admins.

What must hold:

- nothing answers 5xx, for anyone;
- another department's record answers 404 (or 403, or 405 for a method the route does not
  take) to staff and managers — never a page, a redirect after doing it, or a 400 that
  proves it exists — and a write leaves the database as it was;
- a record of one's own department is reachable: GET never answers 404;
- admin-only pages refuse staff and managers (403) and open for admins;
- lists (pages and API) never name another department's records.

The walk is generated from the URL conf. Each URL argument is filled from
:data:`ARGUMENTS` with a real record made in the department under test; a route whose
argument has no entry there fails :func:`test_every_route_argument_has_a_record`, which
says what to add — so a new endpoint is covered the day it is written.
"""

import dataclasses
import datetime as dt
import json
import re

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from budgets.services.plans import plan_recalculate
from budgets.tests.factories import (
    AnnualBudgetFactory,
    BudgetLineFactory,
    BudgetPlanFactory,
    ExpenseFactory,
)
from campaigns.models import CareTask, Coupon, OfflineChannel
from campaigns.tests.factories import (
    CampaignFactory,
    CompanyDayFactory,
    ContentFactory,
    CouponBatchFactory,
    TemplateFactory,
)
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from carecrm.core.models import Notification
from carecrm.core.scoping import is_scoped
from carecrm.core.testing import PUBLIC_ROUTES, route_parameters, route_path, url_routes
from customers.models import ImportJob, ImportPreset, ImportStatus, SavedCustomerView
from customers.tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    ProductFactory,
)
from customers.tests.factories_list import StaticListFactory
from customers.tests.quality_factories import ContactPersonFactory, VerificationTaskFactory
from dashboard.models import DeliveryStatus
from dashboard.tests.factories import ReportDeliveryFactory
from delivery.models import FrequencyCap, QuietHours
from delivery.tests.outbox import message
from events.tests.factories import (
    EventFactory,
    EventGoalFactory,
    EventTaskFactory,
    GuestFactory,
    MilestoneFactory,
    TeamMemberFactory,
)
from feedback.tests.factories import (
    FeedbackItemFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
    SurveyInvitationFactory,
)
from loyalty.models import PointsAccount, PointsEntry
from loyalty.services.ledger import entries_post
from segmentation.models import PolicyPreview, PreviewStatus, RiskAlert, RiskRule, TierPolicy
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

ROLES = ("staff", "manager", "admin")
# Labels in every name of a department's records: a list that shows FOREIGN leaks.
OWN, FOREIGN = "本部门", "隔壁部门"


@dataclasses.dataclass(frozen=True)
class Fixed:
    """A URL argument that is not a record: the same value everywhere."""

    value: str


# (route pattern prefix, URL argument) -> the record that fills it (first match wins), or
# a Fixed value. A new route whose argument is missing here fails the walk: add a line,
# and a maker to ``_records`` (or ``_shared``) if the record is new.
ARGUMENTS: list[tuple[str, str, str | Fixed]] = [
    (r"customers/bulk/fields/", "dialog", Fixed("static_list")),
    (r"customers/lists/", "pk", "static_list"),
    (r"customers/views/", "pk", "saved_view"),
    (r"customers/contacts/", "pk", "contact"),
    (r"customers/interactions/", "pk", "interaction"),
    (r"customers/imports/presets/", "pk", "import_preset"),
    (r"customers/imports/", "pk", "import_job"),
    (r"customers/quality/verifications/", "pk", "verification"),
    (r"customers/products/", "pk", "product"),
    (r"customers/", "other_pk", "second_customer"),
    (r"customers/", "pk", "customer"),
    (r"segments/policy/preview/", "pk", "policy_preview"),
    (r"segments/policy/preview/", "column", Fixed("value_tier")),
    (r"segments/vips/", "pk", "customer"),
    (r"segments/alerts/", "pk", "risk_alert"),
    (r"segments/", "pk", "segment"),
    (r"campaigns/company-days/", "pk", "company_day"),
    (r"campaigns/tasks/", "pk", "care_task"),
    (r"campaigns/templates/", "pk", "template"),
    (r"campaigns/customers/", "customer_id", "customer"),
    (r"delivery/messages/", "pk", "message"),
    (r"delivery/sources/", "pk", "source"),
    (r"delivery/settings/caps/", "pk", "frequency_cap"),
    (r"delivery/settings/quiet-hours/", "pk", "quiet_hours"),
    (r"delivery/customers/", "customer_id", "customer"),
    (r"budgets/plans/", "pk", "budget_plan"),
    (r"budgets/lines/", "pk", "budget_line"),
    (r"budgets/expenses/", "pk", "budget_expense"),
    (r"budgets/annual/", "pk", "annual_budget"),
    (r"events/guests/", "pk", "guest"),
    (r"events/milestones/", "pk", "milestone"),
    (r"events/tasks/", "pk", "event_task"),
    (r"events/team-members/", "pk", "team_member"),
    (r"events/", "pk", "event"),
    (r"loyalty/customers/", "customer_id", "customer"),
    (r"feedback/items/", "pk", "feedback_item"),
    (r"feedback/surveys/", "pk", "survey"),
    (r"feedback/questions/", "pk", "question"),
    (r"dashboard/reports/deliveries/", "pk", "report_delivery"),
    (r"notifications/", "pk", "notification"),
    (r"campaigns/", "channel", Fixed("sms")),
    (r"campaigns/", "pk", "campaign"),
    (r"settings/users/", "pk", "member"),
    (r"settings/departments/", "pk", "department"),
    (r"api/v1/\^customers/", "pk", "customer"),
    (r"api/v1/\^orders/", "pk", "order"),
    (r"api/v1/\^products/", "pk", "product"),
    (r"api/v1/\^interactions/", "pk", "interaction"),
    (r"api/v1/\^imports/", "pk", "import_job"),
    (r"api/v1/\^segments/", "pk", "segment"),
    (r"api/v1/\^tier-policies/", "pk", "tier_policy"),
    (r"api/v1/\^risk-alerts/", "pk", "risk_alert"),
    (r"api/v1/\^campaigns/", "pk", "campaign"),
    (r"api/v1/\^campaign-templates/", "pk", "template"),
    (r"api/v1/\^coupons/", "pk", "coupon"),
    (r"api/v1/\^care-tasks/", "pk", "care_task"),
    (r"api/v1/\^messages/", "pk", "message"),
    (r"api/v1/\^event-guests/", "pk", "guest"),
    (r"api/v1/\^events/", "pk", "event"),
    (r"api/v1/\^event-goals/", "pk", "event_goal"),
    (r"api/v1/\^event-milestones/", "pk", "milestone"),
    (r"api/v1/\^event-tasks/", "pk", "event_task"),
    (r"api/v1/\^surveys/", "pk", "survey"),
    (r"api/v1/\^survey-responses/", "pk", "survey_response"),
    (r"api/v1/\^annual-budgets/", "pk", "annual_budget"),
    (r"api/v1/\^budget-plans/", "pk", "budget_plan"),
    (r"api/v1/\^budget-expenses/", "pk", "budget_expense"),
    (r"api/v1/\^feedback-items/", "pk", "feedback_item"),
    (r"api/v1/\^points-accounts/", "pk", "points_account"),
    (r"api/v1/\^points-entries/", "pk", "points_entry"),
    (r"api/v1/\^referrals/", "pk", "second_customer"),
]
# Records every department shares (admins' settings): walked once, not per department.
SHARED = {"policy_preview", "frequency_cap", "quiet_hours", "tier_policy", "product"}

# Settings pages: staff and managers are refused, admins served (care programme: admins
# configure tiers, caps, quiet hours, channels, the brand).
ADMIN_ONLY = re.compile(
    r"^/(settings/(brand|users|departments)/"
    r"|delivery/settings/(caps|quiet-hours|classes)/"
    r"|segments/policy/(edit|run|preview)/"
    r"|budgets/(settings|annual/\d+/edit)/"
    r"|feedback/items/deadlines/"
    r"|loyalty/settings/"
    r"|dashboard/settings/"
    r")"
)

# Routes that answer 404 on a record of one's own department until it is in the state
# they serve; the matrix's records are not.
NOT_SERVED_IN_THIS_STATE = {
    # the file is the uploader's until the import starts, and the job is finished
    "customers/imports/<int:pk>/mapping/": "a draft import, to its uploader only",
    # the finished job rejected no row, so there is no report to download
    "customers/imports/<int:pk>/rejected-rows/": "an import that rejected rows",
    r"api/v1/^imports/(?P<pk>[^/.]+)/rejected-rows/$": "an import that rejected rows",
    # the matrix's expense has no receipt file to download
    "budgets/expenses/<int:pk>/receipt/": "an expense with a receipt",
    # a saved view of the customer list opens for its owner only (the staff member here)
    "customers/views/<int:pk>/": "a saved view of the user's own",
    # a notice opens for its recipient only (the department's staff member here)
    "notifications/<int:pk>/": "a notice of the user's own",
}

ROUTES = sorted(
    {
        route
        for path, route in url_routes()
        if not path.startswith("/admin/")
        and not PUBLIC_ROUTES.match(path)
        and "format" not in route_parameters(route)
    }
)


def argument_for(route: str, name: str) -> str | Fixed | None:
    for prefix, argument, value in ARGUMENTS:
        if argument == name and re.match(prefix, route):
            return value
    return None


def variants(route: str) -> list[str]:
    """``own``/``other`` for a route on a department's record, ``shared`` otherwise."""
    records = [argument_for(route, name) for name in route_parameters(route)]
    if any(isinstance(r, str) and r not in SHARED for r in records):
        return ["own", "other"]
    return ["shared"]


def methods(route: str) -> list[str]:
    if not route.startswith("api/"):
        return ["get", "post"]
    view = resolve(route_path(route)).func
    actions = getattr(view, "actions", None)
    if actions:
        return [m for m in ("get", "post", "put", "patch", "delete") if m in actions]
    allowed = getattr(getattr(view, "cls", None), "http_method_names", ["get", "post"])
    return [m for m in ("get", "post", "put", "patch", "delete") if m in allowed]


def _cases():
    for route in ROUTES:
        if any(argument_for(route, name) is None for name in route_parameters(route)):
            continue  # reported by test_every_route_argument_has_a_record
        for variant in variants(route):
            for method in methods(route):
                for role in ROLES:
                    yield pytest.param(
                        role, variant, method, route, id=f"{role}-{variant}-{method}-{route}"
                    )


CASES = list(_cases())


# --- the world: two departments, one user per role, a record of every kind in each -------


def _records(department, author, label: str) -> dict:
    now = timezone.now()
    customer = CustomerFactory(department=department, name=f"{label}客户")
    campaign = CampaignFactory(
        department=department, name=f"{label}活动", created_by=author, owner=author
    )
    ContentFactory(campaign=campaign)
    batch = CouponBatchFactory(campaign=campaign, name=f"{label}券")
    event = EventFactory(department=department, title=f"{label}晚宴", owner=author)
    survey = SurveyFactory(department=department, title=f"{label}调查", created_by=author)
    survey_invitation = SurveyInvitationFactory(survey=survey, customer=customer)
    return {
        "member": author,
        "department": department,
        "survey": survey,
        "question": QuestionFactory(survey=survey, text=f"{label}问题"),
        "survey_invitation": survey_invitation,
        "survey_response": ResponseFactory(
            survey=survey, customer=customer, invitation=survey_invitation
        ),
        "event": event,
        "guest": GuestFactory(event=event, customer=customer),
        "event_goal": EventGoalFactory(event=event),
        "milestone": MilestoneFactory(event=event, name=f"{label}节点", owner=author),
        "event_task": EventTaskFactory(event=event, title=f"{label}任务", owner=author),
        "team_member": TeamMemberFactory(event=event, user=author),
        "feedback_item": FeedbackItemFactory(
            department=department, customer=customer, title=f"{label}反馈", owner=author
        ),
        "report_delivery": ReportDeliveryFactory(
            recipient=author, department=department, status=DeliveryStatus.FAILED
        ),
        "notification": Notification.objects.create(
            recipient=author, kind="test", title=f"{label}通知", url="/campaigns/"
        ),
        "customer": customer,
        "second_customer": (
            second := CustomerFactory(
                department=department,
                name=f"{label}客户乙",
                referred_by=customer,
                referred_at=now,
                vip_level="silver",
            )
        ),
        **_loyalty_records(customer, second),
        "order": OrderFactory(customer=customer, store=f"{label}门店"),
        "interaction": InteractionFactory(customer=customer, summary=f"{label}咨询"),
        "contact": ContactPersonFactory(customer=customer, name=f"{label}联系人"),
        "static_list": StaticListFactory(
            department=department, name=f"{label}名单", members=[customer]
        ),
        "saved_view": SavedCustomerView.objects.create(
            owner=author, name=f"{label}视图", query="vip_level=gold", columns=["name"]
        ),
        "import_job": ImportJob.objects.create(
            kind="customers",
            original_name=f"{label}.csv",
            department=department,
            created_by=author,
            status=ImportStatus.DONE,
            finished_at=now,
        ),
        "import_preset": ImportPreset.objects.create(
            name=f"{label}预设", kind="customers", department=department, created_by=author
        ),
        "verification": VerificationTaskFactory(customer=customer),
        "segment": SegmentFactory(department=department, name=f"{label}分群", created_by=author),
        "risk_alert": RiskAlert.objects.create(
            customer=customer,
            rule=RiskRule.objects.order_by("pk").first(),
            severity="normal",
            due_at=now + dt.timedelta(days=1),
            created_at=now,
        ),
        "campaign": campaign,
        "care_task": CareTask.objects.create(
            campaign=campaign,
            customer=customer,
            channel=OfflineChannel.PHONE,
            occurrence=now.date(),
            due_on=now.date(),
            assigned_to=author,
        ),
        "template": TemplateFactory(department=department, created_by=author, name=f"{label}模板"),
        "company_day": CompanyDayFactory(
            department=department, created_by=author, name=f"{label}纪念日"
        ),
        "message": (sent := message(campaign, customer)),
        "source": sent.source,
        **_budget_records(department, author, label),
        "coupon": Coupon.objects.create(
            batch=batch,
            customer=customer,
            occurrence=now.date(),
            code=f"C{department.pk}X{customer.pk}",
            issued_at=now,
            expires_on=now.date() + dt.timedelta(days=30),
        ),
    }


def _loyalty_records(customer, referred) -> dict:
    """Points for the customer: a purchase, and the bonus for the referral of ``referred``."""
    order = OrderFactory(customer=customer, order_no=f"PTS-{customer.pk}", amount=500)
    earned = PointsEntry(
        customer=customer,
        kind="earn",
        order=order,
        points=50,
        rate="0.1",
        basis=500,
        earned_at=order.ordered_at,
    )
    bonus = PointsEntry(customer=customer, kind="referral", referral=referred, points=100)
    entries_post([earned, bonus])
    return {"points_account": PointsAccount.objects.get(customer=customer), "points_entry": earned}


def _budget_records(department, author, label: str) -> dict:
    annual = AnnualBudgetFactory(department=department, notes=f"{label}年度预算")
    plan = BudgetPlanFactory(department=department, created_by=author, title=f"{label}预算")
    line = BudgetLineFactory(plan=plan, description=f"{label}场地")
    plan_recalculate(plan)
    return {
        "annual_budget": annual,
        "budget_plan": plan,
        "budget_line": line,
        "budget_expense": ExpenseFactory(line=line, payee=f"{label}酒店"),
    }


def _shared(admin) -> dict:
    return {
        "policy_preview": PolicyPreview.objects.create(
            values={
                k: str(v)
                for k, v in TierPolicy.objects.order_by("-pk").first().thresholds().items()
            },
            status=PreviewStatus.DONE,
            created_by=admin,
            finished_at=timezone.now(),
        ),
        "frequency_cap": FrequencyCap.objects.order_by("pk").first(),
        "quiet_hours": QuietHours.objects.order_by("pk").first(),
        "tier_policy": TierPolicy.objects.order_by("-pk").first(),
        # The product catalogue is the company's, not a department's.
        "product": ProductFactory(name="矩阵商品"),
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Made once for the module inside a transaction rolled back at its end; each test
    runs in a savepoint of it, so what one test writes the next never sees."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        own = DepartmentFactory(name="矩阵本部门", code="matrix-own")
        other = DepartmentFactory(name="矩阵乙部门", code="matrix-other")
        users = {
            "staff": UserFactory(username="matrix_staff", role="staff", department=own),
            "manager": UserFactory(username="matrix_manager", role="manager", department=own),
            "admin": UserFactory(username="matrix_admin", role="admin", department=None),
        }
        stranger = UserFactory(username="matrix_stranger", role="staff", department=other)
        tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
        shared = _shared(users["admin"])
        yield {
            "users": users,
            "tokens": tokens,
            "own": {**_records(own, users["staff"], OWN), **shared},
            "other": {**_records(other, stranger, FOREIGN), **shared},
            "shared": shared,
        }
        transaction.set_rollback(True)


def client_for(world, role: str, route: str):
    cache.clear()  # throttles count per user id; this walk makes thousands of requests
    if route.startswith("api/"):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
        return client
    client = Client(raise_request_exception=False)
    client.force_login(world["users"][role])
    return client


def path_for(world, route: str, variant: str) -> tuple[str, object | None]:
    """The route's path filled with the variant's records, and the department record it
    is about (the first non-shared one)."""
    records = world[variant]
    values, target = {}, None
    for name in route_parameters(route):
        argument = argument_for(route, name)
        if isinstance(argument, Fixed):
            values[name] = argument.value
        else:
            values[name] = records[argument].pk
            if target is None and argument not in SHARED:
                target = records[argument]
    return route_path(route, values), target


def body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    # no response.close(): outside the client it fires request_finished, whose
    # close_old_connections would close PostgreSQL's connection under the module's data
    return content.decode("utf-8", "replace")


def snapshot(target) -> tuple:
    """The target row and the number of rows of every department-scoped model."""
    row = type(target).objects.filter(pk=target.pk).values().first()
    counts = {
        model._meta.label: model.objects.count() for model in apps.get_models() if is_scoped(model)
    }
    return row, counts


def request(client, method: str, path: str, route: str):
    if route.startswith("api/") and method in ("post", "put", "patch"):
        return getattr(client, method)(path, data={}, format="json")
    return getattr(client, method)(path)


# --- the tests -------------------------------------------------------------------------


def test_the_walk_covers_pages_and_api_for_every_role():
    assert len(ROUTES) > 150
    paths = {case.values[3] for case in CASES}
    assert "customers/<int:pk>/" in paths and r"api/v1/^customers/(?P<pk>[^/.]+)/$" in paths
    assert {case.values[0] for case in CASES} == set(ROLES)


def test_every_route_argument_has_a_record():
    missing = sorted(
        f"{route}  <{name}>"
        for route in ROUTES
        for name in route_parameters(route)
        if argument_for(route, name) is None
    )
    assert not missing, (
        "These routes take URL arguments the role matrix cannot fill. Add a line to "
        "ARGUMENTS in carecrm/core/tests/test_role_matrix.py mapping the route prefix and "
        "argument to a record, and a maker for a new kind of record to _records (one per "
        "department) or _shared (settings every department shares):\n  " + "\n  ".join(missing)
    )


@pytest.mark.parametrize(("role", "variant", "method", "route"), CASES)
def test_role_matrix(world, role, variant, method, route):
    path, target = path_for(world, route, variant)
    client = client_for(world, role, route)
    before = snapshot(target) if target is not None and method != "get" else None

    response = request(client, method, path, route)
    status = response.status_code
    where = f"{role} {method.upper()} {path} ({variant} department): {status}"

    assert status < 500, where
    if variant == "other" and role != "admin":
        assert status in (403, 404, 405), "another department's record: " + where
        if before is not None:
            assert snapshot(target) == before, "another department's record changed: " + where
        return
    if ADMIN_ONLY.match(path):
        if role != "admin":
            refused = (403,) if method != "get" else (403, 405)
            assert status in refused, "admin-only page: " + where
        elif method == "get":
            assert status in (200, 405), "admin-only page: " + where
    elif method == "get" and route not in NOT_SERVED_IN_THIS_STATE:
        assert status != 404, "own department's record not found: " + where


LISTS = [
    pytest.param(role, route, id=f"{role}-{route}")
    for route in ROUTES
    if not route_parameters(route) and "get" in methods(route)
    for role in ("staff", "manager")
]


@pytest.mark.parametrize(("role", "route"), LISTS)
def test_lists_never_name_another_departments_records(world, role, route):
    path = route_path(route)
    response = request(client_for(world, role, route), "get", path, route)
    text = body(response)
    assert response.status_code < 500, (role, path, response.status_code)
    assert FOREIGN not in text, f"{role} GET {path} shows another department's record"
    if route.startswith("api/") and response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(text)
        rows = data.get("results", data) if isinstance(data, dict) else data
        listed = {row.get("id") for row in rows if isinstance(row, dict)}
        kind = argument_for(route.rstrip("$") + "(?P<pk>x)/$", "pk")
        if isinstance(kind, str) and kind not in SHARED:
            foreign = world["other"][kind].pk
            assert foreign not in listed, f"{role} GET {path} lists foreign id {foreign}"
