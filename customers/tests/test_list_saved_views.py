"""Saved views and remembered columns of the customer list: each user's own, validated,
and evaluated within the scope of whoever opens them."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from carecrm.accounts.tests.factories import UserFactory
from customers.list_columns import DEFAULT_COLUMNS
from customers.models import CustomerListPreference, SavedCustomerView
from customers.selectors import list_columns_of, saved_views_of
from customers.services.list_views import (
    list_columns_remember,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
    saved_view_set_default,
)
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/"


def row_ids(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-customer-id="(\d+)"', html)}


def header_columns(html: str) -> list[str]:
    return re.findall(r'<th scope="col"[^>]*data-col="(\w+)"', html)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- services ----------------------------------------------------------------------------


def test_a_view_keeps_filters_sort_and_columns_but_not_the_page_position(staff_a):
    list_columns_remember(user=staff_a, columns=["vip", "rfm", "bogus", "department"])
    view = saved_view_create(
        user=staff_a,
        name="  我的金卡客户 ",
        query="vip_level=gold&sort=-total_spend&after=abc&view=3&q=",
        columns=list_columns_of(staff_a),
    )
    assert view.name == "我的金卡客户"
    assert view.query == "vip_level=gold&sort=-total_spend"
    # Unknown and admin-only columns are dropped; the name column is always there.
    assert view.columns == ["name", "vip", "rfm"]
    assert not view.is_default


def test_names_are_required_short_and_unique_per_user(staff_a, manager_a):
    saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    with pytest.raises(ValidationError) as empty:
        saved_view_create(user=staff_a, name="   ", query="", columns=[])
    assert "name" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        saved_view_create(user=staff_a, name="长" * 61, query="", columns=[])
    assert "60" in long.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as clash:
        saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    assert "金卡" in clash.value.message_dict["name"][0]
    # Another user may use the same name.
    assert saved_view_create(user=manager_a, name="金卡", query="", columns=[]).pk


def test_rename_checks_the_name_and_only_the_owner_may(staff_a, manager_a):
    first = saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    saved_view_create(user=staff_a, name="银卡", query="", columns=[])
    saved_view_rename(view=first, user=staff_a, name="金卡客户")
    first.refresh_from_db()
    assert first.name == "金卡客户"
    with pytest.raises(ValidationError):
        saved_view_rename(view=first, user=staff_a, name="银卡")
    with pytest.raises(PermissionDenied):
        saved_view_rename(view=first, user=manager_a, name="偷改")
    first.refresh_from_db()
    assert first.name == "金卡客户"


def test_one_default_per_user(staff_a, manager_a):
    first = saved_view_create(user=staff_a, name="一", query="", columns=[], is_default=True)
    second = saved_view_create(user=staff_a, name="二", query="", columns=[])
    theirs = saved_view_create(user=manager_a, name="一", query="", columns=[], is_default=True)
    saved_view_set_default(view=second, user=staff_a)
    assert list(saved_views_of(staff_a).filter(is_default=True)) == [second]
    theirs.refresh_from_db()
    assert theirs.is_default
    saved_view_set_default(view=second, user=staff_a, is_default=False)
    assert not saved_views_of(staff_a).filter(is_default=True).exists()
    first.refresh_from_db()
    assert not first.is_default


def test_delete_only_by_the_owner(staff_a, manager_a):
    view = saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    with pytest.raises(PermissionDenied):
        saved_view_delete(view=view, user=manager_a)
    saved_view_delete(view=view, user=staff_a)
    assert not SavedCustomerView.objects.exists()


def test_columns_default_and_are_remembered_per_user(staff_a, manager_a):
    assert list_columns_of(staff_a) == [c for c in DEFAULT_COLUMNS if c != "department"]
    list_columns_remember(user=staff_a, columns=["mobile", "created"])
    assert list_columns_of(staff_a) == ["name", "mobile", "created"]
    assert list_columns_of(manager_a) == [c for c in DEFAULT_COLUMNS if c != "department"]


# --- views -------------------------------------------------------------------------------


def test_column_choice_is_remembered_and_shapes_the_table(staff_a_client, staff_a, department_a):
    CustomerFactory(department=department_a, name="王芳", rfm_segment="champions")
    response = staff_a_client.post(
        "/customers/columns/", {"columns": ["rfm", "created"]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Trigger"] == "customer-columns-changed"
    assert CustomerListPreference.objects.get(user=staff_a).columns == ["name", "rfm", "created"]
    html = staff_a_client.get(LIST_URL).content.decode()
    assert header_columns(html) == ["name", "rfm", "created"]
    assert 'id="column-rfm" checked' in html
    # Another session of the same user gets the same columns.
    assert header_columns(client_for(staff_a).get(LIST_URL).content.decode()) == [
        "name",
        "rfm",
        "created",
    ]


def test_staff_are_never_offered_the_department_column(staff_a_client, staff_a):
    staff_a_client.post("/customers/columns/", {"columns": ["department", "mobile"]})
    assert not CustomerListPreference.objects.filter(user=staff_a).exists()
    html = staff_a_client.get(LIST_URL).content.decode()
    assert 'id="column-department"' not in html
    assert "department" not in header_columns(html)


def test_saving_a_view_from_the_list_and_opening_it(staff_a_client, staff_a, department_a):
    gold = CustomerFactory(department=department_a, name="金卡客户", vip_level="gold")
    CustomerFactory(department=department_a, name="普通客户", vip_level="regular")
    list_columns_remember(user=staff_a, columns=["vip", "total_spend"])
    response = staff_a_client.post(
        "/customers/views/",
        {"name": "我的金卡客户", "query": "vip_level=gold&after=xyz", "is_default": "on"},
    )
    view = SavedCustomerView.objects.get(owner=staff_a)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/?vip_level=gold&view={view.pk}"
    assert view.is_default and view.columns == ["name", "vip", "total_spend"]

    # Columns changed since; opening the view brings its columns back.
    list_columns_remember(user=staff_a, columns=["mobile"])
    opened = staff_a_client.get(f"/customers/views/{view.pk}/", follow=True)
    html = opened.content.decode()
    assert row_ids(html) == {gold.pk}
    assert header_columns(html) == ["name", "vip", "total_spend"]
    assert f'data-saved-view="{view.pk}"' in html and 'aria-current="page"' in html
    assert list_columns_of(staff_a) == ["name", "vip", "total_spend"]


def test_a_duplicate_name_from_the_list_is_explained_and_can_be_retried(staff_a_client, staff_a):
    saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    response = staff_a_client.post("/customers/views/", {"name": "金卡", "query": "vip_level=gold"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "You already have a view named" in html
    assert 'value="vip_level=gold"' in html
    assert SavedCustomerView.objects.filter(owner=staff_a).count() == 1


def test_the_default_view_opens_on_a_bare_visit_only(staff_a_client, staff_a):
    view = saved_view_create(
        user=staff_a, name="金卡", query="vip_level=gold", columns=[], is_default=True
    )
    response = staff_a_client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"] == f"/customers/views/{view.pk}/"
    # Filters, the "all customers" pill (?view=) and htmx reloads stay where they are.
    assert staff_a_client.get(LIST_URL, {"view": ""}).status_code == 200
    assert staff_a_client.get(LIST_URL, {"q": "王"}).status_code == 200
    assert (
        staff_a_client.get(
            LIST_URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
        ).status_code
        == 200
    )


def test_another_user_gets_404_for_someone_elses_view(staff_a, manager_a, admin_user):
    view = saved_view_create(user=staff_a, name="我的金卡客户", query="", columns=["rfm"])
    for other in (manager_a, admin_user):
        client = client_for(other)
        assert client.get(f"/customers/views/{view.pk}/").status_code == 404
        for action in ("rename", "default", "delete"):
            response = client.post(
                f"/customers/views/{view.pk}/{action}/",
                {f"view-{view.pk}-name": "偷改", "is_default": "1"},
            )
            assert response.status_code == 404
        assert "我的金卡客户" not in client.get(LIST_URL, {"view": view.pk}).content.decode()
        assert "我的金卡客户" not in client.get("/customers/views/").content.decode()
    view.refresh_from_db()
    assert (view.name, view.is_default) == ("我的金卡客户", False)
    assert not CustomerListPreference.objects.filter(user__in=[manager_a, admin_user]).exists()


def test_a_saved_view_shows_staff_only_their_own_scope(
    staff_a_client, staff_a, department_a, department_b
):
    own = CustomerFactory(department=department_a, name="本部金卡", vip_level="gold")
    CustomerFactory(department=department_b, name="外部金卡", vip_level="gold")
    # A department filter in the saved query is not a way out of one's scope.
    view = saved_view_create(
        user=staff_a,
        name="所有金卡",
        query=f"vip_level=gold&department={department_b.pk}",
        columns=[],
    )
    html = staff_a_client.get(f"/customers/views/{view.pk}/", follow=True).content.decode()
    assert row_ids(html) == {own.pk}
    assert "外部金卡" not in html


def test_rename_default_and_delete_from_the_manage_page(staff_a_client, staff_a):
    view = saved_view_create(user=staff_a, name="金卡", query="", columns=[])
    page = staff_a_client.get("/customers/views/")
    assert page.status_code == 200 and "金卡" in page.content.decode()

    staff_a_client.post(f"/customers/views/{view.pk}/rename/", {f"view-{view.pk}-name": "金卡客户"})
    staff_a_client.post(f"/customers/views/{view.pk}/default/", {"is_default": "1"})
    view.refresh_from_db()
    assert (view.name, view.is_default) == ("金卡客户", True)

    too_long = staff_a_client.post(
        f"/customers/views/{view.pk}/rename/", {f"view-{view.pk}-name": "长" * 61}, follow=True
    )
    assert "at most 60 characters" in too_long.content.decode()
    view.refresh_from_db()
    assert view.name == "金卡客户"

    staff_a_client.post(f"/customers/views/{view.pk}/delete/")
    assert not SavedCustomerView.objects.exists()


def test_other_users_views_are_not_listed_as_pills(staff_a, department_a):
    colleague = UserFactory(username="colleague", role="staff", department=department_a)
    saved_view_create(user=colleague, name="同事的视图", query="", columns=[])
    mine = saved_view_create(user=staff_a, name="我的视图", query="", columns=[])
    html = client_for(staff_a).get(LIST_URL).content.decode()
    assert f'data-saved-view="{mine.pk}"' in html
    assert "同事的视图" not in html
