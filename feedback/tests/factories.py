import datetime as dt

import factory
from django.utils import timezone

from carecrm.accounts.tests.factories import DepartmentFactory
from customers.tests.factories import CustomerFactory
from feedback.models import (
    Answer,
    Choice,
    FeedbackItem,
    ItemSource,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyInvitation,
    SurveyStatus,
)


class SurveyFactory(factory.django.DjangoModelFactory):
    """An open survey without questions; add them with ``QuestionFactory``."""

    class Meta:
        model = Survey

    title = factory.Sequence(lambda n: f"客户满意度调查 {n}")
    title_en = factory.Sequence(lambda n: f"Customer satisfaction survey {n}")
    status = SurveyStatus.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))
    department = factory.SubFactory(DepartmentFactory)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    kind = QuestionKind.RATING
    text = "您对我们的服务满意吗？"
    text_en = "How satisfied are you with our service?"
    position = factory.Sequence(lambda n: n)


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory, kind=QuestionKind.SINGLE)
    text = factory.Sequence(lambda n: f"选项{n}")
    text_en = factory.Sequence(lambda n: f"Option {n}")
    position = factory.Sequence(lambda n: n)


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(
        CustomerFactory, department=factory.SelfAttribute("..survey.department")
    )


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    survey = factory.SubFactory(SurveyFactory)
    customer = factory.SubFactory(
        CustomerFactory, department=factory.SelfAttribute("..survey.department")
    )
    submitted_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    response = factory.SubFactory(ResponseFactory)
    question = factory.SubFactory(
        QuestionFactory, survey=factory.SelfAttribute("..response.survey")
    )
    score = 5


class FeedbackItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedbackItem

    title = "等待时间过长"
    department = factory.SubFactory(DepartmentFactory)
    customer = factory.SubFactory(CustomerFactory, department=factory.SelfAttribute("..department"))
    source = ItemSource.MANUAL
    respond_by = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=24))
    resolve_by = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=72))
