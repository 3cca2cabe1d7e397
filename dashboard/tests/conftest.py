import datetime as dt

import pytest

from customers.models import VipLevel
from customers.tests.factories import CustomerFactory
from feedback.tests.factories import FeedbackItemFactory

NOVEMBER = dt.date(2026, 11, 1)
DECEMBER_FIRST = dt.date(2026, 12, 1)


@pytest.fixture
def two_departments(department_a, department_b):
    """VIPs and feedback in two departments: 华东 has 2 VIPs and one normal customer,
    华南 3 VIPs — so a report that mixes them says 5."""
    east = [
        CustomerFactory(department=department_a, vip_level=level)
        for level in (VipLevel.GOLD, VipLevel.SILVER, VipLevel.NORMAL)
    ]
    south = [
        CustomerFactory(department=department_b, vip_level=level)
        for level in (VipLevel.DIAMOND, VipLevel.GOLD, VipLevel.SILVER)
    ]
    FeedbackItemFactory(department=department_a, customer=east[0], title="华东的意见")
    FeedbackItemFactory(department=department_b, customer=south[0], title="华南的意见")
    FeedbackItemFactory(department=department_b, customer=south[1], title="华南的第二条意见")
    return department_a, department_b
