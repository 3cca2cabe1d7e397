import io
import random

import pytest

from carecrm.accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from feedback.demo import seed_surveys
from feedback.models import Response, Survey, SurveyKind, SurveyStatus

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_answered_vip_survey_and_runs_once(department_a):
    UserFactory(role="staff", department=department_a)
    CustomerFactory.create_batch(8, department=department_a, vip_level="gold")
    seed_surveys(rng=random.Random(3), options={}, stdout=io.StringIO())
    vip = Survey.objects.get(kind=SurveyKind.VIP_QUARTERLY)
    assert vip.status == SurveyStatus.OPEN and vip.invitations.count() == 8
    assert 0 < Response.objects.filter(survey=vip).count() <= 8
    assert Survey.objects.get(kind=SurveyKind.AFTER_SERVICE).status == SurveyStatus.OPEN
    count = Survey.objects.count()
    seed_surveys(rng=random.Random(3), options={}, stdout=io.StringIO())
    assert Survey.objects.count() == count
