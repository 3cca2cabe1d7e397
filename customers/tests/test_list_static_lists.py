"""Static lists: index, create, members, remove, delete — scoped to the department."""

import re

import pytest

from customers.models import StaticList
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import StaticListFactory

pytestmark = pytest.mark.django_db


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-customer-id="(\d+)"', html)]


def test_index_shows_the_own_departments_lists_with_member_counts(
    staff_a_client, department_a, department_b
):
    members = [CustomerFactory(department=department_a) for _ in range(3)]
    StaticListFactory(name="年会嘉宾", department=department_a, members=members)
    StaticListFactory(name="华南名单", department=department_b)
    html = staff_a_client.get("/customers/lists/").content.decode()
    assert "年会嘉宾" in html
    assert "华南名单" not in html
    assert re.search(r'<td class="text-end">3</td>', html)


def test_empty_index_invites_to_create_a_list(staff_a_client):
    html = staff_a_client.get("/customers/lists/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No static lists yet." in html


def test_create_a_list_in_the_own_department(staff_a_client, staff_a, department_a):
    response = staff_a_client.post(
        "/customers/lists/new/", {"name": " 春节回访 ", "description": "2025 春节"}
    )
    static_list = StaticList.objects.get()
    assert response["Location"] == f"/customers/lists/{static_list.pk}/"
    assert (static_list.name, static_list.department, static_list.created_by) == (
        "春节回访",
        department_a,
        staff_a,
    )


def test_a_duplicate_name_in_the_department_is_refused(staff_a_client, department_a):
    StaticListFactory(name="春节回访", department=department_a)
    response = staff_a_client.post(
        "/customers/lists/new/", {"name": "春节回访"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "This department already has a list named “春节回访”." in response.content.decode()
    assert StaticList.objects.count() == 1


def test_admins_choose_the_department_of_a_new_list(admin_client_user, department_b):
    admin_client_user.post(
        "/customers/lists/new/", {"name": "总部名单", "department": department_b.pk}
    )
    assert StaticList.objects.get().department == department_b


def test_members_page_shows_the_members_with_the_list_table(staff_a_client, department_a):
    members = [CustomerFactory(name=f"成员{i}", department=department_a) for i in range(3)]
    CustomerFactory(name="非成员", department=department_a)
    static_list = StaticListFactory(name="年会嘉宾", department=department_a, members=members)
    html = staff_a_client.get(f"/customers/lists/{static_list.pk}/").content.decode()
    assert sorted(row_ids(html)) == sorted(c.pk for c in members)
    assert "非成员" not in html
    searched = staff_a_client.get(f"/customers/lists/{static_list.pk}/", {"q": "成员1"})
    assert row_ids(searched.content.decode()) == [members[1].pk]


def test_members_page_masks_phones_for_staff(staff_a_client, department_a):
    member = CustomerFactory(mobile="+8613812345678", department=department_a)
    static_list = StaticListFactory(department=department_a, members=[member])
    html = staff_a_client.get(f"/customers/lists/{static_list.pk}/").content.decode()
    assert "138****5678" in html
    assert "1234 5678" not in html


def test_another_departments_list_is_404(staff_a_client, department_b):
    foreign = StaticListFactory(department=department_b)
    assert staff_a_client.get(f"/customers/lists/{foreign.pk}/").status_code == 404
    assert staff_a_client.post(f"/customers/lists/{foreign.pk}/delete/").status_code == 404
    assert (
        staff_a_client.post(f"/customers/lists/{foreign.pk}/edit/", {"name": "x"}).status_code
        == 404
    )
    assert StaticList.objects.filter(pk=foreign.pk).exists()


def test_members_of_another_scope_stay_hidden_on_a_shared_list(
    staff_a_client, department_a, department_b
):
    own = CustomerFactory(department=department_a)
    foreign = CustomerFactory(department=department_b)
    static_list = StaticListFactory(department=department_a, members=[own, foreign])
    html = staff_a_client.get(f"/customers/lists/{static_list.pk}/").content.decode()
    assert row_ids(html) == [own.pk]


def test_remove_selected_members(staff_a_client, department_a):
    members = [CustomerFactory(department=department_a) for _ in range(3)]
    static_list = StaticListFactory(department=department_a, members=members)
    response = staff_a_client.post(
        f"/customers/lists/{static_list.pk}/remove/",
        {"ids": [members[0].pk, members[1].pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert list(static_list.customers.all()) == [members[2]]
    assert members[0].__class__.objects.filter(pk=members[0].pk).exists()
    assert [str(m) for m in response.context["messages"]] == [
        f"2 customers removed from “{static_list.name}”."
    ]


def test_remove_every_matching_member(staff_a_client, department_a):
    east = [CustomerFactory(region="华东", department=department_a) for _ in range(2)]
    west = CustomerFactory(region="西南", department=department_a)
    static_list = StaticListFactory(department=department_a, members=[*east, west])
    staff_a_client.post(
        f"/customers/lists/{static_list.pk}/remove/", {"select_all": "on", "filters": "region=华东"}
    )
    assert list(static_list.customers.all()) == [west]


def test_edit_a_list(staff_a_client, department_a):
    static_list = StaticListFactory(name="旧名", department=department_a)
    staff_a_client.post(
        f"/customers/lists/{static_list.pk}/edit/", {"name": "新名", "description": "说明"}
    )
    static_list.refresh_from_db()
    assert (static_list.name, static_list.description) == ("新名", "说明")


def test_delete_a_list_keeps_its_customers(staff_a_client, department_a):
    member = CustomerFactory(department=department_a)
    static_list = StaticListFactory(department=department_a, members=[member])
    response = staff_a_client.post(f"/customers/lists/{static_list.pk}/delete/")
    assert response["Location"] == "/customers/lists/"
    assert not StaticList.objects.exists()
    assert member.__class__.objects.filter(pk=member.pk).exists()
