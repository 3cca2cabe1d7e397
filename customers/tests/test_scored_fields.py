"""The columns segmentation derives (``customers.models.SCORED_FIELDS``) are set by nobody
else: not the import, not the customer form, not the API, not the records service."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.api.records import CustomerSerializer
from customers.forms import CustomerForm
from customers.models import SCORED_FIELDS, Customer, ImportKind
from customers.services import importing_fields, importing_writers
from customers.services.records import EDITABLE_FIELDS, customer_update
from customers.tests.factories import CustomerFactory

SCORED = set(SCORED_FIELDS)
# A value for each that differs from the factory's, as an attacker would send it.
SENT = {
    "total_spend": "99999.00",
    "spend_12m": "99999.00",
    "purchase_count": 99,
    "purchase_count_12m": 99,
    "first_purchase_on": "2020-01-01",
    "last_purchase_on": "2020-01-02",
    "average_order_value": "999.00",
    "repurchase_rate": "0.9000",
    "rfm_recency": 5,
    "rfm_frequency": 5,
    "rfm_monetary": 5,
    "rfm_segment": "champions",
    "value_tier": "high",
    "vip_level": "diamond",
    "lifecycle_stage": "active",
    "loyalty_score": 99,
    "scored_at": "2020-01-01T00:00:00Z",
}


def test_every_scored_field_is_a_customer_column_and_has_a_test_value():
    names = {field.name for field in Customer._meta.concrete_fields}
    assert names >= SCORED
    assert set(SENT) == SCORED | {"scored_at"}


def test_the_records_service_and_the_form_do_not_offer_them():
    assert not SCORED & set(EDITABLE_FIELDS)
    assert not SCORED & set(CustomerForm.base_fields)


def test_the_api_makes_them_read_only():
    fields = CustomerSerializer().fields
    assert SCORED | {"scored_at"} <= set(fields)
    assert all(fields[name].read_only for name in SCORED)


def test_the_import_has_no_column_for_them():
    assert not SCORED & set(importing_fields.CUSTOMER_FIELDS)
    assert not SCORED & set(importing_writers.COLUMNS)
    for name in SCORED:
        label = str(Customer._meta.get_field(name).verbose_name)
        assert importing_fields.recognise(name, ImportKind.CUSTOMERS) == ""
        assert importing_fields.recognise(label, ImportKind.CUSTOMERS) == ""
        with pytest.raises(ValidationError):
            importing_fields.field_for(name, ImportKind.CUSTOMERS)


@pytest.mark.django_db
def test_a_patch_through_the_api_leaves_them_alone(api_client_for, manager_a):
    customer = CustomerFactory(department=manager_a.department)
    before = {name: getattr(customer, name) for name in SENT}

    response = api_client_for(manager_a).patch(
        f"/api/v1/customers/{customer.pk}/", {**SENT, "city": "杭州市"}, format="json"
    )

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.city == "杭州市"
    assert {name: getattr(customer, name) for name in SENT} == before
    assert customer.total_spend != Decimal(SENT["total_spend"])


@pytest.mark.django_db
def test_the_records_service_refuses_them(manager_a):
    customer = CustomerFactory(department=manager_a.department)
    for name in SCORED_FIELDS:
        with pytest.raises(TypeError, match=name):
            customer_update(customer=customer, user=manager_a, data={name: SENT[name]})
