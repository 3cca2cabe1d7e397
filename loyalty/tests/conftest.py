import pytest

from customers.tests.factories import CustomerFactory
from loyalty.models import LoyaltySettings


@pytest.fixture
def rules(db):
    """The saved rules (the migration's defaults: 0.1 / 0.12 / 0.15 / 0.2 points per yuan,
    200 birthday and 100 referral points, 24 months, silver may redeem)."""
    return LoyaltySettings.objects.order_by("pk").first() or LoyaltySettings.objects.create()


@pytest.fixture
def silver(department_a, rules):
    return CustomerFactory(department=department_a, name="银卡会员", vip_level="silver")


@pytest.fixture
def normal(department_a, rules):
    return CustomerFactory(department=department_a, name="普通会员", vip_level="normal")
