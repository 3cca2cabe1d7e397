"""Row-level access (care programme: staff see their department and the customers they
manage; managers their department; admins everything), through the shared helpers and
through the API base class."""

import pytest
from django.http import Http404
from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIRequestFactory, force_authenticate

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.api import ScopedReadOnlyModelViewSet
from carecrm.core.checks import api_viewsets_are_scoped, unscoped_viewset_errors
from carecrm.core.scoping import get_visible_or_404, visible_to
from customers.models import Customer, Order
from customers.tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(department_a, department_b, staff_b):
    return {
        "east": CustomerFactory(name="华东客户", department=department_a),
        "south": CustomerFactory(name="华南客户", department=department_b),
        # filed under A, but staff_b is its relationship manager
        "east_managed_by_b": CustomerFactory(
            name="B负责的华东客户", department=department_a, relationship_manager=staff_b
        ),
    }


def visible_names(user) -> set[str]:
    return set(visible_to(user, Customer.objects.all()).values_list("name", flat=True))


def test_staff_sees_own_department_and_customers_they_manage(customers, staff_a, staff_b):
    assert visible_names(staff_a) == {"华东客户", "B负责的华东客户"}
    assert visible_names(staff_b) == {"华南客户", "B负责的华东客户"}


def test_manager_sees_the_department(customers, manager_a):
    assert visible_names(manager_a) == {"华东客户", "B负责的华东客户"}


def test_admin_sees_every_department(customers, admin_user):
    assert visible_names(admin_user) == {"华东客户", "华南客户", "B负责的华东客户"}


def test_user_without_department_sees_only_what_they_manage(customers):
    loner = UserFactory(username="loner", role="staff", department=None)
    assert visible_names(loner) == set()


def test_inactive_and_anonymous_users_see_nothing(customers, staff_a):
    from django.contrib.auth.models import AnonymousUser

    assert visible_names(AnonymousUser()) == set()
    staff_a.is_active = False
    assert visible_names(staff_a) == set()


def test_staff_of_other_department_gets_404(customers, staff_a, staff_b):
    south = customers["south"]
    assert get_visible_or_404(staff_b, Customer.objects.all(), pk=south.pk) == south
    with pytest.raises(Http404):
        get_visible_or_404(staff_a, Customer.objects.all(), pk=south.pk)


def test_related_rows_follow_their_customer(customers, staff_a, admin_user):
    order = OrderFactory(customer=customers["south"])
    assert not visible_to(staff_a, Order.objects.all()).exists()
    with pytest.raises(Http404):
        get_visible_or_404(staff_a, Order.objects.all(), pk=order.pk)
    assert get_visible_or_404(admin_user, Order.objects.all(), pk=order.pk) == order


class _CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name"]


class ScopedCustomers(ScopedReadOnlyModelViewSet):
    queryset = Customer.objects.all()
    serializer_class = _CustomerSerializer


class UnscopedCustomers(viewsets.ReadOnlyModelViewSet):
    queryset = Customer.objects.all()
    serializer_class = _CustomerSerializer


def api_get(user, action, **kwargs):
    request = APIRequestFactory().get("/api/v1/test-customers/")
    force_authenticate(request, user=user)
    return ScopedCustomers.as_view({"get": action})(request, **kwargs)


def test_scoped_api_viewset_answers_404_outside_the_scope(customers, staff_a, manager_a):
    assert api_get(staff_a, "retrieve", pk=customers["south"].pk).status_code == 404
    assert api_get(staff_a, "retrieve", pk=customers["east"].pk).status_code == 200
    listed = {row["name"] for row in api_get(manager_a, "list").data["results"]}
    assert listed == {"华东客户", "B负责的华东客户"}


def test_scoped_api_viewset_lists_everything_for_an_admin(customers, admin_user):
    listed = {row["name"] for row in api_get(admin_user, "list").data["results"]}
    assert listed == {"华东客户", "华南客户", "B负责的华东客户"}


def test_system_check_flags_an_unscoped_viewset_over_a_scoped_model():
    router = DefaultRouter()
    router.register("scoped", ScopedCustomers, basename="scoped")
    router.register("leaky", UnscopedCustomers, basename="leaky")
    errors = unscoped_viewset_errors(router)
    assert [error.id for error in errors] == ["carecrm.E001"]
    assert "UnscopedCustomers at /api/v1/leaky/" in errors[0].msg


def test_project_api_router_passes_the_scoping_check():
    assert api_viewsets_are_scoped(None) == []
