"""Factories for the data quality and privacy tests."""

import datetime as dt

import factory
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.models import (
    Channel,
    ChannelConsent,
    ConsentMethod,
    ContactPerson,
    IntentEvent,
    StaticList,
    Tag,
    VerificationTask,
)
from customers.tests.factories import CustomerFactory


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    customer = factory.SubFactory(CustomerFactory)
    name = "李娜"
    title = "采购经理"
    mobile = factory.Sequence(lambda n: f"+86137{n:08d}")
    email = factory.Sequence(lambda n: f"contact{n}@example.cn")


class ChannelConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelConsent

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.SMS
    granted = True
    changed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    method = ConsentMethod.FORM


class IntentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntentEvent

    customer = factory.SubFactory(CustomerFactory)
    product = "手冲咖啡套装"
    category = "咖啡"
    occurred_at = factory.LazyFunction(timezone.now)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"标签{n}")


class StaticListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaticList

    name = factory.Sequence(lambda n: f"名单{n}")
    department = factory.SubFactory(DepartmentFactory)


class VerificationTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationTask

    customer = factory.SubFactory(CustomerFactory)
    period = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
