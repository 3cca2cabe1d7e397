import factory

from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from segmentation.models import RelationshipManager, Segment, SegmentKind


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"分群{n}")
    kind = SegmentKind.DYNAMIC
    rules = factory.LazyFunction(lambda: {"match": "all", "conditions": []})
    department = factory.SubFactory(DepartmentFactory)


class RelationshipManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelationshipManager

    user = factory.SubFactory(UserFactory)
    region = ""
    accepts_new = True
