"""``/api/schema/`` tells integrators the truth. Schemathesis generates requests from the
schema drf-spectacular builds for the running app, valid ones and deliberately wrong ones,
and sends them through the real WSGI application as an admin, a manager and a member of
staff, against a database holding customers of their own and another department, orders,
interactions, campaigns with content, coupons, care tasks, messages, segments, risk alerts,
imports, points and referrals — path ids name those real objects as well as ones that do
not exist.

Every response must: not be a server error; have a status code the schema documents; have
the content type the schema documents; match the documented body. Generation is
deterministic (``derandomize``) and small (``MAX_EXAMPLES`` per operation), so the module
takes about a minute; each request runs in a savepoint that is rolled back, so one
operation's writes (a deleted segment, an approved campaign) never change the next one's.
"""

import datetime as dt
import json
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from budgets.services.plans import plan_recalculate
from budgets.tests.factories import (
    AnnualBudgetFactory,
    BudgetLineFactory,
    BudgetPlanFactory,
    ExpenseFactory,
)
from campaigns.models import CareTask, Coupon, DeliveryChannel, MessageStatus
from campaigns.services.coupons import coupons_issue
from campaigns.tests.factories import (
    CampaignFactory,
    ContentFactory,
    CouponBatchFactory,
    TemplateFactory,
)
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from customers.models import Customer, ImportJob, ImportStatus
from customers.tests.factories import (
    CustomerFactory,
    InteractionFactory,
    OrderFactory,
    OrderLineFactory,
)
from delivery.tests.outbox import message
from events.tests.factories import (
    EventFactory,
    EventGoalFactory,
    EventTaskFactory,
    MilestoneFactory,
)
from feedback.tests.factories import (
    FeedbackItemFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
)
from loyalty.models import PointsAccount, PointsEntry
from loyalty.services.accrual import orders_accrue
from loyalty.services.bonuses import referral_bonuses_grant
from segmentation.models import RiskAlert, RiskRule, TierPolicy
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 8
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _spectacular_schema() -> dict:
    """The schema ``/api/schema/`` serves, as JSON sees it."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


SCHEMA = schemathesis.openapi.from_dict(_spectacular_schema())
SCHEMA.app = WSGIHandler()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")


def test_an_oversized_api_upload_is_refused_with_a_documented_json_413(api_client_for, staff_a):
    response = api_client_for(staff_a).generic(
        "POST",
        "/api/v1/imports/",
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(1024**3),
    )
    assert response.status_code == 413
    assert "larger than 50 MB" in response.json()["detail"]
    assert "413" in SCHEMA.raw_schema["paths"]["/api/v1/imports/"]["post"]["responses"]


def test_the_schema_covers_the_api():
    labels = {operation.label for operation in OPERATIONS}
    assert "GET /api/v1/customers/{id}/" in labels
    assert "POST /api/v1/campaigns/{id}/approve/" in labels
    assert "GET /api/v1/dashboard/" in labels
    assert len(labels) > 60


def _world():
    """Two departments with a manager and staff each, and something of every kind in both:
    ``{collection: (id in department A, id in department B)}`` for the path ids."""
    east = DepartmentFactory(name="华东销售部", code="east-sales")
    south = DepartmentFactory(name="华南销售部", code="south-sales")
    users = {
        "admin": UserFactory(username="admin", role="admin", department=None),
        "manager": UserFactory(username="li.na", role="manager", department=east),
        "staff": UserFactory(username="zhang.wei", role="staff", department=east),
    }
    UserFactory(username="chen.jing", role="manager", department=south)
    now = timezone.now()
    ids: dict[str, list[int]] = {}
    for department in (east, south):
        owner = users["staff"] if department == east else None
        customer = CustomerFactory(
            department=department,
            relationship_manager=owner,
            birthday=dt.date(1990, 3, 10),
            value_tier="high",
        )
        referred = CustomerFactory(
            department=department, referred_by=customer, referred_at=now, vip_level="silver"
        )
        order = OrderFactory(customer=customer)
        OrderLineFactory(order=order)
        interaction = InteractionFactory(
            customer=customer, kind="complaint", follow_up_due=now.date()
        )
        campaign = CampaignFactory(department=department)
        ContentFactory(campaign=campaign)
        batch = CouponBatchFactory(campaign=campaign)
        coupons_issue(
            batch=batch,
            occurrence=dt.date(2027, 3, 10),
            customers=Customer.objects.filter(pk=customer.pk),
        )
        task = CareTask.objects.create(
            campaign=campaign,
            customer=customer,
            channel="visit",
            occurrence=dt.date(2027, 3, 10),
            due_on=dt.date(2027, 3, 10),
            assigned_to=owner,
        )
        sent = message(campaign, customer, DeliveryChannel.SMS, status=MessageStatus.DELIVERED)
        template = TemplateFactory(department=department)
        segment = SegmentFactory(department=department)
        alert = RiskAlert.objects.create(
            customer=customer,
            rule=RiskRule.objects.first(),
            severity="high",
            assigned_to=owner,
            due_at=now + dt.timedelta(hours=12),
            created_at=now,
        )
        job = ImportJob.objects.create(
            kind="customers",
            original_name="客户.csv",
            department=department,
            created_by=owner or users["admin"],
            status=ImportStatus.DONE,
            total_rows=2,
            processed_rows=2,
        )
        event = EventFactory(department=department, owner=owner)
        annual = AnnualBudgetFactory(department=department)
        plan = BudgetPlanFactory(department=department, created_by=owner)
        line = BudgetLineFactory(plan=plan)
        plan_recalculate(plan)
        expense = ExpenseFactory(line=line)
        survey = SurveyFactory(department=department, created_by=owner)
        QuestionFactory(survey=survey)
        survey_response = ResponseFactory(survey=survey, customer=customer)
        orders_accrue()
        referral_bonuses_grant()
        found = {
            "points-accounts": PointsAccount.objects.get(customer=customer).pk,
            "points-entries": PointsEntry.objects.filter(customer=customer).first().pk,
            "referrals": referred.pk,
            "surveys": survey.pk,
            "survey-responses": survey_response.pk,
            "events": event.pk,
            "event-goals": EventGoalFactory(event=event).pk,
            "event-milestones": MilestoneFactory(event=event, owner=owner).pk,
            "event-tasks": EventTaskFactory(event=event, owner=owner).pk,
            "annual-budgets": annual.pk,
            "budget-plans": plan.pk,
            "budget-expenses": expense.pk,
            "feedback-items": FeedbackItemFactory(
                department=department, customer=customer, owner=owner
            ).pk,
            "customers": customer.pk,
            "orders": order.pk,
            "interactions": interaction.pk,
            "campaigns": campaign.pk,
            "coupons": Coupon.objects.filter(batch=batch).values_list("pk", flat=True)[0],
            "care-tasks": task.pk,
            "messages": sent.pk,
            "campaign-templates": template.pk,
            "segments": segment.pk,
            "risk-alerts": alert.pk,
            "imports": job.pk,
            "tier-policies": TierPolicy.objects.order_by("-version").first().pk,
        }
        for collection, pk in found.items():
            ids.setdefault(collection, []).append(pk)
    return users, ids


def _strategy(operation, ids):
    """Valid and invalid requests; an ``{id}`` names a real object in the caller's
    department, one in another department, or whatever Schemathesis picks."""
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if "{id}" in operation.path:
        collection = operation.path.removeprefix("/api/v1/").split("/")[0]
        for pk in ids.get(collection, []):
            strategies.append(operation.as_strategy(path_parameters={"id": pk}))
    return st.one_of(strategies)


def _exercise(operation, strategy, headers, failures):
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def examples(case):
        with transaction.atomic():
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, FailureGroup) as exc:  # collected, reported together
                for failure in getattr(exc, "exceptions", [exc]):
                    title = getattr(failure, "title", type(failure).__name__)
                    failures.append(
                        (
                            operation.label,
                            title,
                            response.status_code,
                            f"{case.method} {case.formatted_path} "
                            f"query={case.query} body={str(case.body)[:200]}\n"
                            f"    {str(getattr(failure, 'message', failure))[:400]}\n"
                            f"    response: {response.text[:300]}",
                        )
                    )
            transaction.set_rollback(True)

    examples()


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes the database connection around each request, as in
    production; here that connection holds the test's transaction (on PostgreSQL, closing
    it loses everything), so keep it open as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_the_test_connection")
@pytest.mark.parametrize("role", ["admin", "manager", "staff"])
def test_every_response_matches_the_schema(role):
    users, ids = _world()
    token = Token.objects.create(user=users[role])
    headers = {"Authorization": f"Token {token.key}"}
    failures: list[tuple] = []
    for operation in OPERATIONS:
        _exercise(operation, _strategy(operation, ids), headers, failures)

    kinds = Counter((label, title, status) for label, title, status, _ in failures)
    summary = "\n".join(
        f"{n:4} × {label}: {title} ({status})" for (label, title, status), n in kinds.most_common()
    )
    first = {}
    for label, title, status, detail in failures:
        first.setdefault((label, title, status), detail)
    details = "\n".join(first.values())
    assert not failures, (
        f"{len(failures)} failures as {role}:\n{summary}\n\nfirst of each:\n{details}"
    )
