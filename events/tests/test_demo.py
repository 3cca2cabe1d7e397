import random
from decimal import Decimal

import pytest

from budgets.models import PlanStatus
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from events.demo import seed_events
from events.models import Event, EventStatus
from events.selectors.events import event_budget_plan

pytestmark = pytest.mark.django_db


class Out:
    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)


def test_demo_events_in_every_state_with_the_example_budget():
    east = DepartmentFactory(code="east-sales", name="华东销售部")
    users = [
        UserFactory(username="zhang.wei", role="staff", department=east),
        UserFactory(username="huang.hao", role="staff", department=east),
        UserFactory(username="li.na", role="manager", department=east),
    ]
    out = Out()
    seed_events(rng=random.Random(1), options={"users": users}, stdout=out)

    statuses = dict(Event.objects.values_list("type", "status"))
    assert statuses == {
        "banquet": EventStatus.DRAFT,
        "seminar": EventStatus.OPEN,
        "family_day": EventStatus.HELD,
        "lottery": EventStatus.CANCELLED,
    }
    banquet = Event.objects.get(type="banquet")
    plan = event_budget_plan(banquet)
    assert plan.total == Decimal("46200.00") and plan.status == PlanStatus.DRAFT
    assert banquet.milestones.count() == 11 and banquet.team.count() == 5
    assert banquet.tasks.count() == 5 and banquet.goals.count() == 2
    assert "Events: 4 events (1 held)" in out.text[0]
    assert [s.name for s in banquet.target_segments.all()] == ["高价值客户"]
