"""The customer list page: scoping, masking, htmx partials, pages and query count."""

import re

import pytest
from django.urls import reverse

from carecrm.accounts.tests.factories import UserFactory
from customers.services.list_views import list_columns_remember
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import StaticListFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/"


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-customer-id="(\d+)"', html)]


def test_the_list_lives_at_customers(staff_a_client):
    assert reverse("customers:list") == LIST_URL
    assert staff_a_client.get(LIST_URL).status_code == 200


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_see_their_department_and_the_customers_they_manage_only(
    staff_a_client, staff_a, department_a, department_b
):
    own = CustomerFactory(name="本部客户", department=department_a)
    managed = CustomerFactory(name="我管理的外部客户", department=department_b)
    managed.relationship_manager = staff_a
    managed.save()
    other = CustomerFactory(name="华南客户", department=department_b)
    html = body(staff_a_client.get(LIST_URL))
    assert set(row_ids(html)) == {own.pk, managed.pk}
    assert "华南客户" not in html
    assert other.pk not in row_ids(body(staff_a_client.get(LIST_URL, {"q": "华南客户"})))


def test_staff_without_pii_permission_see_masked_phones_and_emails(
    staff_a_client, staff_a, department_a
):
    list_columns_remember(user=staff_a, columns=["mobile", "email"])
    CustomerFactory(
        name="王芳", mobile="+8613812345678", email="wang.fang@example.cn", department=department_a
    )
    html = body(staff_a_client.get(LIST_URL))
    assert "138****5678" in html
    assert "w***@example.cn" in html
    assert "13812345678" not in html
    assert "1234 5678" not in html
    assert "wang.fang@example.cn" not in html


def test_managers_with_pii_permission_see_full_phones(manager_a_client, manager_a, department_a):
    list_columns_remember(user=manager_a, columns=["mobile", "email"])
    CustomerFactory(
        name="王芳", mobile="+8613812345678", email="wang.fang@example.cn", department=department_a
    )
    html = body(manager_a_client.get(LIST_URL))
    assert "138 1234 5678" in html
    assert "wang.fang@example.cn" in html


def test_search_from_the_page_by_last_four_digits(staff_a_client, department_a):
    wanted = CustomerFactory(name="王芳", mobile="+8613812345678", department=department_a)
    CustomerFactory(name="李娜", mobile="+8613812340000", department=department_a)
    assert row_ids(body(staff_a_client.get(LIST_URL, {"q": "5678"}))) == [wanted.pk]


def test_htmx_filter_request_gets_only_the_results_block(staff_a_client, department_a):
    CustomerFactory(name="王芳", department=department_a)
    response = staff_a_client.get(
        LIST_URL, {"q": "王"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
    )
    html = body(response)
    assert "<html" not in html
    assert 'id="bulk-form"' in html
    assert "王芳" in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(staff_a_client):
    response = staff_a_client.get(
        LIST_URL,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in body(response)


def test_filter_form_updates_the_table_with_htmx_and_pushes_the_url(staff_a_client):
    html = body(staff_a_client.get(LIST_URL))
    form = re.search(r'<form id="customer-filters"[^>]*>', html).group(0)
    assert 'hx-get="/customers/"' in form
    assert 'hx-target="#customer-results"' in form
    assert 'hx-push-url="true"' in form


def test_next_and_previous_links_page_through_the_filtered_list(staff_a_client, department_a):
    customers = [CustomerFactory(name=f"客户{i}", department=department_a) for i in range(30)]
    CustomerFactory(name="别的", region="华南", department=department_a)
    for customer in customers:
        customer.region = "华东"
        customer.save()
    newest_first = [c.pk for c in reversed(customers)]
    first = body(staff_a_client.get(LIST_URL, {"region": "华东", "per_page": 25}))
    assert row_ids(first) == newest_first[:25]
    next_href = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "region=" in next_href
    second = body(staff_a_client.get(next_href))
    assert row_ids(second) == newest_first[25:]
    assert 'rel="next"' not in second
    previous_href = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert row_ids(body(staff_a_client.get(previous_href))) == newest_first[:25]


def test_sorting_by_total_spend_from_the_column_header(manager_a_client, department_a):
    small = CustomerFactory(name="小", total_spend="10.00", department=department_a)
    big = CustomerFactory(name="大", total_spend="90000.00", department=department_a)
    html = body(manager_a_client.get(LIST_URL))
    assert 'href="/customers/?sort=-total_spend"' in html
    assert row_ids(body(manager_a_client.get(LIST_URL, {"sort": "-total_spend"}))) == [
        big.pk,
        small.pk,
    ]
    assert row_ids(body(manager_a_client.get(LIST_URL, {"sort": "total_spend"}))) == [
        small.pk,
        big.pk,
    ]


def test_count_is_exact_when_the_list_fits_one_page(staff_a_client, department_a):
    for i in range(3):
        CustomerFactory(name=f"客户{i}", department=department_a)
    html = body(staff_a_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert "3 customers" in html


def test_empty_filter_result_explains_itself(staff_a_client, department_a):
    CustomerFactory(name="王芳", department=department_a)
    html = body(staff_a_client.get(LIST_URL, {"q": "不存在的人"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "No customers match these filters." in html
    assert "Clear filters" in html


def test_an_invalid_filter_value_is_reported_not_ignored_silently(staff_a_client):
    html = body(
        staff_a_client.get(
            LIST_URL, {"last_purchase_from": "31/02/2024"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    )
    assert "Enter a valid date." in html


def test_bulk_actions_and_export_are_offered_by_permission(staff_a_client, manager_a_client):
    staff_html = body(staff_a_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en"))
    manager_html = body(manager_a_client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Bulk actions" in staff_html
    assert 'formaction="/customers/export/"' not in staff_html  # staff may not export
    assert 'formaction="/customers/export/"' in manager_html


def _populate(department, manager, count):
    tags = [TagFactory(name=f"标签{i}") for i in range(3)]
    for i in range(count):
        customer = CustomerFactory(name=f"客户{i}", department=department)
        customer.relationship_manager = manager
        customer.save()
        customer.tags.add(*tags[: i % 3 + 1])


def test_list_page_queries_do_not_grow_with_the_rows(
    manager_a_client, manager_a, department_a, django_assert_max_num_queries
):
    _populate(department_a, manager_a, 5)
    # 17 on PostgreSQL: one of them is the planner's estimate (an EXPLAIN, no rows read).
    with django_assert_max_num_queries(17) as small:
        body(manager_a_client.get(LIST_URL))
    _populate(department_a, manager_a, 45)
    with django_assert_max_num_queries(17) as large:
        html = body(manager_a_client.get(LIST_URL, {"per_page": 50}))
    assert len(row_ids(html)) == 50
    assert len(large.captured_queries) == len(small.captured_queries)


def test_admins_see_every_department_with_a_department_column(
    admin_client_user, department_a, department_b
):
    CustomerFactory(name="甲", department=department_a)
    CustomerFactory(name="乙", department=department_b)
    html = body(admin_client_user.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert len(row_ids(html)) == 2
    assert "华南销售部" in html


def test_assign_dialog_offers_only_people_of_the_own_department(
    staff_a_client, staff_a, manager_a, staff_b
):
    colleague = UserFactory(username="colleague_a", department=staff_a.department)
    html = body(staff_a_client.get(LIST_URL))
    dialog_url = reverse("customers:bulk-dialog-fields", args=["manager"])
    assert f'hx-get="{dialog_url}"' in html[html.index('id="bulk-assign-manager"') :]
    dialog = body(staff_a_client.get(dialog_url))
    assert f'value="{colleague.pk}"' in dialog
    assert f'value="{manager_a.pk}"' in dialog
    assert f'value="{staff_b.pk}"' not in dialog


def test_the_add_to_list_dialog_offers_the_static_lists_in_scope(
    staff_a_client, department_a, department_b
):
    own = StaticListFactory(name="年会嘉宾", department=department_a)
    other = StaticListFactory(name="华南名单", department=department_b)
    html = body(staff_a_client.get(LIST_URL))
    assert "年会嘉宾" not in html  # loaded when the dialog opens
    dialog = body(staff_a_client.get(reverse("customers:bulk-dialog-fields", args=["static_list"])))
    assert f'value="{own.pk}"' in dialog
    assert f'value="{other.pk}"' not in dialog
    assert 'name="new_list_name"' in dialog and 'form="bulk-form"' in dialog


def test_an_unknown_bulk_dialog_is_not_found(staff_a_client):
    response = staff_a_client.get(reverse("customers:bulk-dialog-fields", args=["password"]))
    assert response.status_code == 404
