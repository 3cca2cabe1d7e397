"""Factories for the data quality and privacy tests."""

import datetime as dt

import factory
import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.models import (
    Channel,
    ChannelConsent,
    ConsentMethod,
    ContactPerson,
    Customer,
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


@pytest.fixture
def later_model(transactional_db):
    """A model another app adds after this service was written (feedback, messages...)."""

    class LaterFeedback(models.Model):
        customer = models.ForeignKey(
            Customer, on_delete=models.CASCADE, related_name="later_feedback"
        )
        survey = models.CharField(max_length=20)
        comment = models.TextField(blank=True)

        class Meta:
            app_label = "customers"
            constraints = [
                models.UniqueConstraint(fields=["customer", "survey"], name="later_one_per_survey")
            ]

        def __str__(self) -> str:
            return self.survey

    with connection.schema_editor() as editor:
        editor.create_model(LaterFeedback)
    yield LaterFeedback
    with connection.schema_editor() as editor:
        editor.delete_model(LaterFeedback)
    del apps.all_models["customers"]["laterfeedback"]
    apps.clear_cache()
