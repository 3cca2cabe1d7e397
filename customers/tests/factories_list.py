"""Factories for the customer list's tests (tags, static lists, consents)."""

import factory
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.models import Channel, ChannelConsent, ConsentMethod, StaticList, Tag
from customers.tests.factories import CustomerFactory


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"标签{n}")


class StaticListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaticList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"名单{n}")
    department = factory.SubFactory(DepartmentFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.customers.add(*extracted)


class ChannelConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelConsent

    customer = factory.SubFactory(CustomerFactory)
    channel = Channel.SMS
    granted = True
    changed_at = factory.LazyFunction(timezone.now)
    method = ConsentMethod.FORM
