import datetime as dt

import pytest

from customers.models import CustomerStatus
from customers.selectors_quality import duplicate_groups_page
from customers.tests.factories import CustomerFactory
from customers.tests.quality_factories import ContactPersonFactory

pytestmark = pytest.mark.django_db


def _groups(user, kind):
    return duplicate_groups_page(user, kind, per_page=100).object_list


def _member_ids(group):
    return {m.customer.pk for m in group.members}


def test_same_email_in_other_case_is_one_group(manager_a, department_a):
    first = CustomerFactory(department=department_a, email="Zhang.Wei@Example.cn")
    second = CustomerFactory(department=department_a, email=" zhang.wei@example.cn")
    CustomerFactory(department=department_a, email="someone.else@example.cn")

    groups = _groups(manager_a, "email")

    assert len(groups) == 1
    assert _member_ids(groups[0]) == {first.pk, second.pk}
    assert groups[0].key == "zhang.wei@example.cn"


def test_same_name_and_birthday_is_one_group(manager_a, department_a):
    first = CustomerFactory(department=department_a, name="王芳", birthday=dt.date(1988, 5, 1))
    second = CustomerFactory(department=department_a, name="王 芳", birthday=dt.date(1988, 5, 1))
    CustomerFactory(department=department_a, name="王芳", birthday=dt.date(1988, 5, 2))

    groups = _groups(manager_a, "name_birthday")

    assert [(_member_ids(g), g.key) for g in groups] == [
        ({first.pk, second.pk}, "王芳 · 1988-05-01")
    ]


def test_phone_in_other_written_form_and_contact_person_match(manager_a, department_a):
    stored = CustomerFactory(department=department_a, mobile="+8613812345678")
    legacy = CustomerFactory(department=department_a, mobile="138-1234-5678")
    company = CustomerFactory(department=department_a, kind="company", mobile="")
    ContactPersonFactory(customer=company, mobile="+86 138 1234 5678")
    CustomerFactory(department=department_a, mobile="+8613900000000")

    groups = _groups(manager_a, "phone")

    assert len(groups) == 1
    assert _member_ids(groups[0]) == {stored.pk, legacy.pk, company.pk}
    via = {m.customer.pk: m.via for m in groups[0].members}
    assert via[company.pk] == "contact"
    assert via[stored.pk] == "customer"


def test_merged_and_other_departments_customers_are_not_compared(
    manager_a, department_a, department_b
):
    CustomerFactory(department=department_a, email="same@example.cn")
    CustomerFactory(department=department_b, email="same@example.cn")
    CustomerFactory(department=department_a, email="same@example.cn", status=CustomerStatus.MERGED)

    assert _groups(manager_a, "email") == []


def test_groups_are_paginated_biggest_first(manager_a, department_a):
    for index in range(3):
        for _copy in range(2 + (index == 1)):
            CustomerFactory(department=department_a, email=f"group{index}@example.cn")

    first = duplicate_groups_page(manager_a, "email", number=1, per_page=1)
    second = duplicate_groups_page(manager_a, "email", number=2, per_page=2)
    beyond = duplicate_groups_page(manager_a, "email", number=9, per_page=2)

    assert first.count == 3
    assert first.num_pages == 3
    assert [(g.key, g.size) for g in first.object_list] == [("group1@example.cn", 3)]
    assert [g.key for g in second.object_list] == ["group2@example.cn"]
    assert beyond.number == 2


def test_page_lists_groups_with_masked_contacts_and_merge_links(
    staff_a_client, manager_a_client, department_a
):
    first = CustomerFactory(
        department=department_a, email="dup@example.cn", mobile="+8613812345678"
    )
    second = CustomerFactory(department=department_a, email="DUP@example.cn")

    staff_page = staff_a_client.get("/customers/quality/duplicates/?kind=email")
    manager_page = manager_a_client.get("/customers/quality/duplicates/?kind=email")

    staff_body = staff_page.content.decode()
    assert staff_page.status_code == 200
    assert "d***@example.cn" in staff_body
    assert "138****5678" in staff_body
    assert "dup@example.cn" not in staff_body
    assert f"/customers/quality/merge/{first.pk}/{second.pk}/" not in staff_body
    assert f"/customers/quality/merge/{first.pk}/{second.pk}/" in manager_page.content.decode()


def test_page_without_duplicates_says_so(manager_a_client, department_a):
    CustomerFactory(department=department_a)

    response = manager_a_client.get("/customers/quality/duplicates/", HTTP_ACCEPT_LANGUAGE="en")

    assert 'id="no-duplicates"' in response.content.decode()


def test_page_queries_do_not_grow_with_group_count(
    manager_a_client, department_a, django_assert_max_num_queries
):
    for index in range(15):
        CustomerFactory(department=department_a, email=f"g{index}@example.cn")
        CustomerFactory(department=department_a, email=f"G{index}@example.cn")

    with django_assert_max_num_queries(13):  # 12 and the notification bell
        response = manager_a_client.get("/customers/quality/duplicates/?kind=email")

    assert response.content.decode().count("duplicate-group") == 15
