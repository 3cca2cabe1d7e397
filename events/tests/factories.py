import datetime as dt

import factory
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.tests.factories import CustomerFactory
from events.models import (
    Event,
    EventGoal,
    EventTask,
    EventType,
    GoalMetric,
    Guest,
    Milestone,
    Phase,
    TeamMember,
    TeamRole,
)


def _in_60_days():
    return timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=60)


class EventFactory(factory.django.DjangoModelFactory):
    """A draft banquet 60 days from now, 18:00–21:00 local."""

    class Meta:
        model = Event

    type = EventType.BANQUET
    title = factory.Sequence(lambda n: f"VIP 答谢晚宴 {n}")
    starts_at = factory.LazyFunction(_in_60_days)
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + dt.timedelta(hours=3))
    venue = "上海浦东香格里拉 宴会厅"
    capacity = 50
    department = factory.SubFactory(DepartmentFactory)


class EventGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventGoal

    event = factory.SubFactory(EventFactory)
    metric = GoalMetric.COVERAGE
    target = 80
    deadline = factory.LazyAttribute(lambda g: g.event.starts_at.date() + dt.timedelta(days=7))


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    event = factory.SubFactory(EventFactory)
    phase = Phase.PREPARATION
    name = "确定场地"
    starts_on = factory.LazyAttribute(lambda m: m.event.starts_at.date() - dt.timedelta(days=60))
    due_on = factory.LazyAttribute(lambda m: m.event.starts_at.date() - dt.timedelta(days=30))


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    event = factory.SubFactory(EventFactory)
    role = TeamRole.CUSTOMER


class EventTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventTask

    event = factory.SubFactory(EventFactory)
    title = "确认嘉宾名单"
    due_on = factory.LazyAttribute(lambda t: t.event.starts_at.date() - dt.timedelta(days=7))


class GuestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guest

    event = factory.SubFactory(EventFactory)
    customer = factory.SubFactory(
        CustomerFactory, department=factory.SelfAttribute("..event.department")
    )
    invited_at = factory.LazyFunction(timezone.now)
