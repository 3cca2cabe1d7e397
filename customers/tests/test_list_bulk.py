"""Bulk actions from the customer list: tags, relationship manager, static lists."""

import pytest
from django.core.exceptions import ValidationError

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.models import Customer, StaticList, Tag
from customers.services.bulk import customer_assign_manager
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import StaticListFactory, TagFactory

pytestmark = pytest.mark.django_db

BULK_URL = "/customers/bulk/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_add_tag_to_ticked_rows_creates_the_tag_and_audits(staff_a_client, staff_a, department_a):
    first, second, untouched = (CustomerFactory(department=department_a) for _ in range(3))
    response = staff_a_client.post(
        BULK_URL,
        {"action": "tag_add", "tag_name": " 年会 嘉宾 ", "ids": [first.pk, second.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    tag = Tag.objects.get(name="年会 嘉宾")
    assert set(tag.customers.all()) == {first, second}
    assert not untouched.tags.exists()
    assert messages_of(response) == ["Tag “年会 嘉宾” added to 2 customers."]
    audited = AuditEntry.objects.filter(action=AuditAction.CHANGE, actor=staff_a)
    assert set(audited.values_list("customer_id", flat=True)) == {first.pk, second.pk}


def test_adding_a_tag_twice_counts_only_new_ones(staff_a_client, department_a):
    tag = TagFactory(name="回访")
    tagged = CustomerFactory(department=department_a)
    tagged.tags.add(tag)
    fresh = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        BULK_URL,
        {"action": "tag_add", "tag_name": "回访", "ids": [tagged.pk, fresh.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert messages_of(response) == ["Tag “回访” added to 1 customer."]
    assert tag.customers.count() == 2


def test_select_all_matching_applies_to_every_filtered_customer_not_just_the_page(
    staff_a_client, department_a
):
    east = [CustomerFactory(region="华东", department=department_a) for _ in range(60)]
    west = CustomerFactory(region="西南", department=department_a)
    staff_a_client.post(
        BULK_URL,
        {"action": "tag_add", "tag_name": "华东活动", "select_all": "on", "filters": "region=华东"},
    )
    assert set(Tag.objects.get(name="华东活动").customers.all()) == set(east)
    assert not west.tags.exists()


def test_remove_tag(staff_a_client, department_a):
    tag = TagFactory(name="沉睡")
    customers = [CustomerFactory(department=department_a) for _ in range(3)]
    for customer in customers:
        customer.tags.add(tag)
    response = staff_a_client.post(
        BULK_URL,
        {"action": "tag_remove", "remove_tag": tag.pk, "ids": [customers[0].pk, customers[1].pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert list(tag.customers.all()) == [customers[2]]
    assert messages_of(response) == ["Tag “沉睡” removed from 2 customers."]


def test_ticked_ids_of_another_department_are_ignored(staff_a_client, department_a, department_b):
    own = CustomerFactory(department=department_a)
    foreign = CustomerFactory(department=department_b)
    staff_a_client.post(
        BULK_URL, {"action": "tag_add", "tag_name": "越权", "ids": [own.pk, foreign.pk]}
    )
    assert list(Tag.objects.get(name="越权").customers.all()) == [own]


def test_select_all_never_reaches_another_department(staff_a_client, department_a, department_b):
    own = CustomerFactory(department=department_a)
    CustomerFactory(department=department_b)
    staff_a_client.post(
        BULK_URL, {"action": "tag_add", "tag_name": "全部", "select_all": "on", "filters": ""}
    )
    assert list(Tag.objects.get(name="全部").customers.all()) == [own]


def test_assign_manager_of_the_same_department(staff_a_client, staff_a, manager_a, department_a):
    customers = [CustomerFactory(department=department_a) for _ in range(2)]
    response = staff_a_client.post(
        BULK_URL,
        {"action": "assign_manager", "manager": manager_a.pk, "ids": [c.pk for c in customers]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert set(Customer.objects.filter(relationship_manager=manager_a)) == set(customers)
    assert messages_of(response) == [f"{manager_a} is now the relationship manager of 2 customers."]
    detail = AuditEntry.objects.filter(actor=staff_a, action=AuditAction.CHANGE).first().detail
    assert detail == {"relationship_manager": manager_a.pk}


def test_assign_nobody_removes_the_manager(staff_a_client, manager_a, department_a):
    customer = CustomerFactory(department=department_a, relationship_manager=manager_a)
    staff_a_client.post(
        BULK_URL, {"action": "assign_manager", "manager": "none", "ids": [customer.pk]}
    )
    customer.refresh_from_db()
    assert customer.relationship_manager is None


def test_a_manager_of_another_department_is_refused(admin_user, staff_b, department_a):
    customer = CustomerFactory(department=department_a)
    with pytest.raises(ValidationError, match="another department"):
        customer_assign_manager(
            customers=Customer.objects.filter(pk=customer.pk), manager=staff_b, user=admin_user
        )
    customer.refresh_from_db()
    assert customer.relationship_manager is None


def test_staff_cannot_pick_a_manager_outside_their_department(
    staff_a_client, staff_b, department_a
):
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        BULK_URL,
        {"action": "assign_manager", "manager": staff_b.pk, "ids": [customer.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    customer.refresh_from_db()
    assert customer.relationship_manager is None
    assert "Select a valid choice" in messages_of(response)[0]


def test_an_inactive_account_cannot_become_manager(admin_user, department_a):
    gone = UserFactory(username="left_company", department=department_a)
    gone.is_active = False
    gone.save()
    customer = CustomerFactory(department=department_a)
    with pytest.raises(ValidationError, match="inactive"):
        customer_assign_manager(
            customers=Customer.objects.filter(pk=customer.pk), manager=gone, user=admin_user
        )


def test_add_to_an_existing_static_list(staff_a_client, department_a):
    static_list = StaticListFactory(name="年会嘉宾", department=department_a)
    customers = [CustomerFactory(department=department_a) for _ in range(3)]
    response = staff_a_client.post(
        BULK_URL,
        {"action": "add_to_list", "static_list": static_list.pk, "ids": [c.pk for c in customers]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert set(static_list.customers.all()) == set(customers)
    assert messages_of(response) == ["3 customers added to the list “年会嘉宾”."]


def test_add_to_a_new_static_list_creates_it_in_the_own_department(
    staff_a_client, staff_a, department_a
):
    customer = CustomerFactory(department=department_a)
    staff_a_client.post(
        BULK_URL, {"action": "add_to_list", "new_list_name": "春节回访", "ids": [customer.pk]}
    )
    static_list = StaticList.objects.get(name="春节回访")
    assert static_list.department == department_a
    assert static_list.created_by == staff_a
    assert list(static_list.customers.all()) == [customer]


def test_another_departments_list_cannot_be_filled(staff_a_client, department_a, department_b):
    foreign_list = StaticListFactory(name="华南名单", department=department_b)
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        BULK_URL,
        {"action": "add_to_list", "static_list": foreign_list.pk, "ids": [customer.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert not foreign_list.customers.exists()
    assert "Select a valid choice" in messages_of(response)[0]


def test_nothing_selected_is_explained(staff_a_client):
    response = staff_a_client.post(
        BULK_URL, {"action": "tag_add", "tag_name": "x"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert messages_of(response) == ["Select at least one customer first."]


def test_bulk_action_returns_to_the_filtered_list(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        BULK_URL,
        {
            "action": "tag_add",
            "tag_name": "x",
            "ids": [customer.pk],
            "next": "/customers/?region=华东",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/customers/?region=%E5%8D%8E%E4%B8%9C"
    response = staff_a_client.post(
        BULK_URL,
        {
            "action": "tag_add",
            "tag_name": "x",
            "ids": [customer.pk],
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/customers/"
