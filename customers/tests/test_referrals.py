"""Setting who referred a customer: never oneself, never a circle, only a visible and
active referrer, by users who may change the customer; audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from carecrm.core.models import AuditEntry
from customers.services.referrals import referral_parents, referrer_set
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(department_a):
    """甲 referred 乙, who referred 丙."""
    top = CustomerFactory(department=department_a, name="甲")
    middle = CustomerFactory(department=department_a, name="乙", referred_by=top)
    bottom = CustomerFactory(department=department_a, name="丙", referred_by=middle)
    return top, middle, bottom


def test_the_chain_above_customers_comes_in_one_query(chain, django_assert_num_queries):
    top, middle, bottom = chain
    with django_assert_num_queries(1):
        parents = referral_parents([bottom.pk])
    assert parents == {bottom.pk: middle.pk, middle.pk: top.pk, top.pk: None}


def test_a_referrer_is_recorded_and_audited(chain, staff_a, department_a):
    top, _middle, _bottom = chain
    newcomer = CustomerFactory(department=department_a, name="新客")
    assert referrer_set(
        customer=newcomer, referrer=top, user=staff_a, referred_on=dt.date(2024, 3, 8)
    )
    newcomer.refresh_from_db()
    assert newcomer.referred_by == top
    assert timezone.localtime(newcomer.referred_at).date() == dt.date(2024, 3, 8)
    audit = AuditEntry.objects.get(customer_id=newcomer.pk, action="change")
    assert audit.detail["referrer"] == top.pk
    assert not referrer_set(customer=newcomer, referrer=top, user=staff_a)  # no change


def test_oneself_and_circles_are_refused(chain, staff_a):
    top, middle, bottom = chain
    with pytest.raises(ValidationError) as refused:
        referrer_set(customer=top, referrer=top, user=staff_a)
    assert refused.value.message_dict["referrer"] == ["A customer cannot refer themselves."]
    for referrer in (bottom, middle):
        with pytest.raises(ValidationError, match="cannot go round in a circle"):
            referrer_set(customer=top, referrer=referrer, user=staff_a)
    top.refresh_from_db()
    assert top.referred_by is None


def test_the_referrer_must_be_visible_active_and_the_user_allowed(
    staff_a, department_a, department_b
):
    customer = CustomerFactory(department=department_a)
    foreign = CustomerFactory(department=department_b)
    merged = CustomerFactory(department=department_a, status="merged")
    with pytest.raises(ValidationError, match="among the customers you can see"):
        referrer_set(customer=customer, referrer=foreign, user=staff_a)
    with pytest.raises(ValidationError, match="merged or anonymised"):
        referrer_set(customer=customer, referrer=merged, user=staff_a)
    staff_a.groups.clear()
    staff_a = type(staff_a).objects.get(pk=staff_a.pk)
    with pytest.raises(PermissionDenied):
        referrer_set(customer=customer, referrer=None, user=staff_a)


def test_clearing_the_referrer(chain, staff_a):
    _top, middle, bottom = chain
    assert referrer_set(customer=bottom, referrer=None, user=staff_a)
    bottom.refresh_from_db()
    assert bottom.referred_by is None and bottom.referred_at is None
    assert middle.referrals.count() == 0
