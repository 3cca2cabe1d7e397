import random

import pytest

from campaigns.demo import seed_campaigns
from campaigns.models import CampaignStatus, CareCampaign
from carecrm.accounts.tests.factories import DepartmentFactory, UserFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_seeder_creates_an_approved_birthday_programme(capsys):
    east = DepartmentFactory(code="east-sales", name="华东销售部")
    marketing = DepartmentFactory(code="marketing", name="市场部")
    service = DepartmentFactory(code="service-center", name="客服中心")
    users = [
        UserFactory(username="zhang.wei", role="staff", department=east),
        UserFactory(username="li.na", role="manager", department=east),
        UserFactory(username="zhao.min", role="manager", department=marketing),
        UserFactory(username="liu.yang", role="manager", department=service),
    ]
    CustomerFactory(department=east)

    class Out:
        def write(self, text):
            print(text)

    seed_campaigns(rng=random.Random(1), options={"users": users}, stdout=Out())

    birthday = CareCampaign.objects.get(name="会员生日关怀")
    assert birthday.status == CampaignStatus.ACTIVE
    assert set(birthday.reviews.values_list("department__code", flat=True)) == {
        "marketing",
        "service-center",
        "east-sales",
    }
    assert CareCampaign.objects.get(name="中秋节问候").status == CampaignStatus.IN_REVIEW
    assert "Campaigns: 4 campaigns" in capsys.readouterr().out
