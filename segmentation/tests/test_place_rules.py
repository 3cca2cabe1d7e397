"""A segment by province agrees with the customer list: a rule written "广东" or "广东省"
finds the customers stored as "广东省" (one spelling, carecrm.regions)."""

import pytest
from django.utils import timezone

from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from segmentation.rules import compile_rules, validate_rules

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("written", ["广东", "广东省", "广东, 上海"])
def test_a_province_rule_finds_every_spelling(department_a, written):
    canton = CustomerFactory(department=department_a, province="广东省")
    CustomerFactory(department=department_a, province="浙江省")
    rules = validate_rules(
        {"match": "all", "conditions": [{"field": "province", "op": "in", "value": written}]}
    )

    members = Customer.objects.filter(compile_rules(rules, today=timezone.localdate()))

    assert list(members) == [canton]
    listed = CustomerFilterSet({"province": "广东"}, queryset=Customer.objects.all()).qs
    assert list(listed) == list(members)
