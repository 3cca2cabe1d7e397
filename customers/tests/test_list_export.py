"""Export of the customer list to CSV and XLSX."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from openpyxl import load_workbook

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.spreadsheet import neutralise_cell
from customers.tests.factories import CustomerFactory
from customers.tests.factories_list import StaticListFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = "/customers/export/"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def exporter_without_pii(department_a, client):
    """A staff member who was given export rights but not the right to see contact data."""
    user = UserFactory(username="exporter_a", role="staff", department=department_a)
    user.user_permissions.add(
        Permission.objects.get(codename="export_customer", content_type__app_label="customers")
    )
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def column(rows, header):
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def test_csv_export_of_ticked_rows_with_one_audit_entry_each(
    manager_a_client, manager_a, department_a
):
    first = CustomerFactory(name="王芳", mobile="+8613812345678", department=department_a)
    second = CustomerFactory(name="李娜", department=department_a)
    CustomerFactory(name="不导出", department=department_a)
    response = manager_a_client.post(
        EXPORT_URL, {"format": "csv", "ids": [first.pk, second.pk]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = csv_rows(response)
    assert rows[0][:4] == ["ID", "Name", "Customer kind", "Mobile phone"]
    assert column(rows, "Name") == ["王芳", "李娜"]
    assert column(rows, "Mobile phone")[0] == "138 1234 5678"  # a manager may see it
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    assert sorted(entries.values_list("customer_id", flat=True)) == sorted([first.pk, second.pk])
    assert {entry.actor for entry in entries} == {manager_a}
    assert entries.first().detail == {"format": "csv"}


def test_export_masks_contact_details_for_users_without_pii_permission(
    exporter_without_pii, department_a
):
    CustomerFactory(
        name="王芳",
        mobile="+8613812345678",
        email="wang.fang@example.cn",
        street="世纪大道100号",
        department=department_a,
    )
    for file_format, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(
            exporter_without_pii.post(
                EXPORT_URL,
                {"format": file_format, "select_all": "on", "filters": ""},
                HTTP_ACCEPT_LANGUAGE="en",
            )
        )
        assert column(rows, "Mobile phone") == ["138****5678"]
        assert column(rows, "Email") == ["w***@example.cn"]
        assert column(rows, "Street address") == ["****"]
        flat = " ".join(str(value) for row in rows for value in row)
        assert "12345678" not in flat
        assert "wang.fang" not in flat
        assert "世纪大道" not in flat


FORMULAS = {
    "name": '=HYPERLINK("http://evil.example","点击")',
    "industry": "+cmd|' /C calc'!A0",
    "city": "-2+3",
    "region": "@SUM(A1:A2)",
    "district": "\t=1+1",
    "province": "\r=1+1",
}


def formula_customer(department):
    customer = CustomerFactory(department=department, **FORMULAS)
    customer.tags.create(name="=cmd()")
    return customer


@pytest.mark.parametrize("file_format,read", [("csv", csv_rows), ("xlsx", xlsx_rows)])
def test_every_formula_cell_is_neutralised(manager_a_client, department_a, file_format, read):
    formula_customer(department_a)
    rows = read(
        manager_a_client.post(
            EXPORT_URL,
            {"format": file_format, "select_all": "on", "filters": ""},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )
    assert column(rows, "Name") == ["'" + FORMULAS["name"]]
    assert column(rows, "Industry") == ["'" + FORMULAS["industry"]]
    assert column(rows, "City") == ["'" + FORMULAS["city"]]
    assert column(rows, "Region") == ["'" + FORMULAS["region"]]
    assert column(rows, "District") == ["'" + FORMULAS["district"]]
    # XML turns a carriage return into a line feed when the workbook is read back.
    assert column(rows, "Province")[0].replace("\n", "\r") == "'" + FORMULAS["province"]
    assert column(rows, "Tags") == ["'=cmd()"]
    for value in rows[1]:
        assert not (isinstance(value, str) and value.startswith(tuple("=+-@\t\r"))), value


def test_xlsx_cells_are_text_not_formulas(manager_a_client, department_a):
    formula_customer(department_a)
    response = manager_a_client.post(EXPORT_URL, {"format": "xlsx", "select_all": "on"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_numbers_and_plain_text_are_left_alone():
    assert neutralise_cell("王芳") == "王芳"
    assert neutralise_cell("a=b") == "a=b"
    assert neutralise_cell(-5) == -5
    assert neutralise_cell(None) is None


def test_xlsx_export_keeps_numbers_and_dates_typed(manager_a_client, department_a):
    CustomerFactory(name="王芳", total_spend="12345.60", department=department_a)
    rows = xlsx_rows(manager_a_client.post(EXPORT_URL, {"format": "xlsx", "select_all": "on"}))
    assert float(column(rows, "Total spend (CNY)")[0]) == 12345.6
    assert column(rows, "Registration date")[0].year == 2024


def test_staff_without_export_permission_get_403(staff_a_client, department_a):
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(EXPORT_URL, {"format": "csv", "ids": [customer.pk]})
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_export_never_contains_another_departments_customers(
    manager_a_client, department_a, department_b
):
    own = CustomerFactory(name="本部", department=department_a)
    foreign = CustomerFactory(name="华南", department=department_b)
    everything = csv_rows(
        manager_a_client.post(EXPORT_URL, {"format": "csv", "select_all": "on", "filters": ""})
    )
    ticked = csv_rows(
        manager_a_client.post(EXPORT_URL, {"format": "csv", "ids": [own.pk, foreign.pk]})
    )
    searched = csv_rows(
        manager_a_client.post(
            EXPORT_URL, {"format": "csv", "select_all": "on", "filters": "q=华南"}
        )
    )
    assert [row[1] for row in everything[1:]] == ["本部"]
    assert [row[1] for row in ticked[1:]] == ["本部"]
    assert searched[1:] == []
    audited = set(AuditEntry.objects.values_list("customer_id", flat=True))
    assert foreign.pk not in audited


def test_export_of_the_filtered_list(manager_a_client, department_a):
    CustomerFactory(name="金卡", vip_level="gold", department=department_a)
    CustomerFactory(name="普通", department=department_a)
    rows = csv_rows(
        manager_a_client.post(
            EXPORT_URL,
            {"format": "csv", "select_all": "on", "filters": "vip_level=gold"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )
    assert column(rows, "Name") == ["金卡"]


def test_export_is_rate_limited_per_user_and_hour(manager_a_client, department_a, settings):
    settings.CUSTOMER_EXPORTS_PER_HOUR = 2
    customer = CustomerFactory(department=department_a)
    data = {"format": "csv", "ids": [customer.pk], "next": "/customers/?q=x"}
    for _attempt in range(2):
        csv_rows(manager_a_client.post(EXPORT_URL, data))
    refused = manager_a_client.post(EXPORT_URL, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.redirect_chain[0][0] == "/customers/?q=x"
    messages = [str(message) for message in refused.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith("You have reached the limit of 2 customer exports per hour.")
    assert "You can export again after" in messages[0]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 2


def test_export_of_a_static_list_exports_its_members(manager_a_client, department_a):
    member = CustomerFactory(name="名单内", department=department_a)
    CustomerFactory(name="名单外", department=department_a)
    static_list = StaticListFactory(department=department_a, members=[member])
    rows = csv_rows(
        manager_a_client.post(
            EXPORT_URL,
            {"format": "csv", "select_all": "on", "filters": "", "static_list": static_list.pk},
        )
    )
    assert [row[1] for row in rows[1:]] == ["名单内"]


def test_export_needs_a_selection(manager_a_client):
    response = manager_a_client.post(
        EXPORT_URL, {"format": "csv"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert [str(m) for m in response.context["messages"]] == ["Select at least one customer first."]


def test_export_of_another_departments_static_list_is_404(manager_a_client, department_b):
    foreign = StaticListFactory(
        department=department_b, members=[CustomerFactory(department=department_b)]
    )
    response = manager_a_client.post(
        EXPORT_URL, {"format": "csv", "select_all": "on", "static_list": foreign.pk}
    )
    assert response.status_code == 404
    assert not AuditEntry.objects.exists()
