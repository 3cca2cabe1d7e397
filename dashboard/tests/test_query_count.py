"""Every figure is an SQL aggregate: the number of queries behind a dashboard does not grow
with the customers, orders, answers, alerts, messages, events or tier changes it counts
(the running campaigns' touch calendar costs a few per campaign, so their number stays)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import InteractionKind
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from dashboard.periods import Period
from dashboard.scope import DashboardScope
from dashboard.selectors.figures import dashboard_figures
from dashboard.tests.world import (
    NOW,
    SMS_TWO_PARTS,
    _sms,
    _vip_change,
    at,
    build_world,
    risk_rule,
)
from delivery.models import MessageStatus
from events.tests.factories import EventFactory
from feedback.models import QuestionKind, Response
from feedback.tests.factories import AnswerFactory, QuestionFactory, SurveyFactory
from segmentation.models import RiskAlert, ScoringRun
from segmentation.services.scoring import current_policy

pytestmark = pytest.mark.django_db

NOVEMBER = Period.month(dt.date(2026, 11, 1))
MOST_QUERIES = 30


def queries_for(user, department=None) -> int:
    scope = DashboardScope.for_user(user, department.pk if department else None)
    dashboard_figures(scope, NOVEMBER, now=NOW)  # the targets row exists from here on
    with CaptureQueriesContext(connection) as captured:
        dashboard_figures(scope, NOVEMBER, now=NOW)
    return len(captured.captured_queries)


def grow(world, times: int) -> None:
    """``times`` more of everything, in every department."""
    run = ScoringRun.objects.create(policy=current_policy(), trigger="manual", as_of=NOW)
    rule = risk_rule()
    for department in (world.east, world.south, world.north):
        campaign = world.campaigns["CS" if department == world.south else "CE"]
        survey = SurveyFactory(department=department, created_by=world.manager)
        rating = QuestionFactory(survey=survey, kind=QuestionKind.RATING)
        for index in range(times):
            customer = CustomerFactory(
                department=department,
                vip_level=("silver", "gold", "normal")[index % 3],
                value_tier=("high", "low", "")[index % 3],
                referred_at=at(2026, 11, 1 + index % 19),
                relationship_manager=world.staff if index % 5 == 0 else None,
            )
            for month in range(1, 12):
                OrderFactory(
                    customer=customer,
                    ordered_at=at(2026, month, 1 + index % 27),
                    amount=Decimal(100 + index),
                )
            _vip_change(customer, run, "normal", customer.vip_level, at(2026, 1 + index % 11, 3))
            InteractionFactory(
                customer=customer, kind=InteractionKind.CALL, occurred_at=at(2026, 11, 2)
            )
            response = Response.objects.create(
                survey=survey, customer=customer, submitted_at=at(2026, 11, 3)
            )
            AnswerFactory(response=response, question=rating, score=1 + index % 5)
            RiskAlert.objects.create(
                customer=customer,
                rule=rule,
                severity="high",
                created_at=at(2026, 11, 2),
                due_at=at(2026, 11, 3),
            )
            _sms(campaign, customer, SMS_TWO_PARTS, MessageStatus.DELIVERED, at(2026, 11, 4))
            EventFactory(department=department, starts_at=at(2026, 12, 1 + index % 20))


@pytest.mark.parametrize("role", ["staff", "manager", "admin", "admin_south"])
def test_the_number_of_queries_does_not_grow_with_the_data(role):
    world = build_world()
    user = world.admin if role.startswith("admin") else getattr(world, role)
    department = world.south if role == "admin_south" else None
    scope = DashboardScope.for_user(user, department.pk if department else None)
    before = dashboard_figures(scope, NOVEMBER, now=NOW)
    small = queries_for(user, department)
    grow(world, 12)
    after = dashboard_figures(scope, NOVEMBER, now=NOW)
    large = queries_for(user, department)
    assert large == small
    assert small <= MOST_QUERIES
    # the figures did count the new rows
    assert after.breakdown("vip_level").total > before.breakdown("vip_level").total
    assert after.kpi("spend").value > before.kpi("spend").value
    assert after.campaigns[0].sent > before.campaigns[0].sent
