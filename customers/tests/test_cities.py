"""One spelling per province and city (carecrm.regions): the table, and every way a place
gets stored — import, the customer form, the API, the data migration — and the filter."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecrm.regions import normalise_city, normalise_province
from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from customers.tests.import_files import csv_bytes, run_import

normalise_places = importlib.import_module(
    "customers.migrations.0008_normalise_cities"
).normalise_places


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("上海", "上海市"),
        ("上海市", "上海市"),
        (" 上海 市 ", "上海市"),
        ("上海市区", "上海市"),
        ("北京", "北京市"),
        ("北京市", "北京市"),
        ("重庆", "重庆市"),
        ("天津", "天津市"),
        ("深圳", "深圳市"),
        ("深圳市", "深圳市"),
        ("广州区", "广州市"),
        ("苏州", "苏州市"),
        ("杭州市", "杭州市"),
        ("乌鲁木齐", "乌鲁木齐市"),
        ("ＳＨ", "SH"),  # full-width folded, unknown kept as written
        ("浦东新区", "浦东新区"),  # a district is not a city: kept
        ("义乌市", "义乌市"),  # not in the table: kept
        ("", ""),
        (None, ""),
    ],
)
def test_city_spellings(written, stored):
    assert normalise_city(written) == stored


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("广东", "广东省"),
        ("广东省", "广东省"),
        ("广西", "广西壮族自治区"),
        ("广西省", "广西壮族自治区"),
        ("广西壮族自治区", "广西壮族自治区"),
        ("内蒙古", "内蒙古自治区"),
        ("新疆", "新疆维吾尔自治区"),
        ("宁夏", "宁夏回族自治区"),
        ("西藏", "西藏自治区"),
        ("香港", "香港特别行政区"),
        ("上海", "上海市"),
        ("北京市", "北京市"),
        ("黑龙江", "黑龙江省"),
        ("Guangdong", "Guangdong"),
        ("", ""),
    ],
)
def test_province_spellings(written, stored):
    assert normalise_province(written) == stored


@pytest.mark.django_db
def test_the_import_stores_one_spelling(staff_a):
    result = run_import(
        staff_a,
        csv_bytes(
            [
                ["姓名", "手机号", "省份", "城市"],
                ["王伟", "13800000001", "上海", "上海"],
                ["李娜", "13800000002", "广西", "南宁"],
                ["张敏", "13800000003", "广东省", "深圳市"],
            ]
        ),
    )

    assert result.created == 3
    assert dict(Customer.objects.values_list("name", "city")) == {
        "王伟": "上海市",
        "李娜": "南宁市",
        "张敏": "深圳市",
    }
    assert set(Customer.objects.values_list("province", flat=True)) == {
        "上海市",
        "广西壮族自治区",
        "广东省",
    }


@pytest.mark.django_db
def test_the_customer_form_stores_one_spelling(staff_a_client, department_a):
    from customers.tests.test_detail_views import _customer_form_data

    response = staff_a_client.post(
        reverse("customers:create"),
        _customer_form_data(province="浙江", city="杭州"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert Customer.objects.values_list("province", "city").get() == ("浙江省", "杭州市")


@pytest.mark.django_db
def test_the_api_stores_one_spelling(api_client_for, staff_a):
    response = api_client_for(staff_a).post(
        "/api/v1/customers/",
        {"name": "王芳", "mobile": "13812345678", "city": "北京", "province": "北京"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert Customer.objects.values_list("province", "city").get() == ("北京市", "北京市")


@pytest.mark.django_db
def test_the_city_filter_finds_every_spelling(department_a):
    shanghai = CustomerFactory(department=department_a, city="上海市")
    CustomerFactory(department=department_a, city="北京市")

    for written in ("上海", "上海市"):
        found = CustomerFilterSet({"city": written}, queryset=Customer.objects.all()).qs
        assert list(found) == [shanghai]


@pytest.mark.django_db
def test_the_migration_normalises_existing_customers_one_update_per_value(department_a):
    spellings = ["上海", "上海市", "上海", "上海市区", "北京", "义乌市", ""]
    customers = [
        CustomerFactory(department=department_a, city=city, province="广东") for city in spellings
    ]

    with CaptureQueriesContext(connection) as queries:
        changed = normalise_places(django_apps, None)

    cities = {c.pk: c for c in Customer.objects.all()}
    assert [cities[c.pk].city for c in customers] == [
        "上海市",
        "上海市",
        "上海市",
        "上海市",
        "北京市",
        "义乌市",
        "",
    ]
    assert {c.province for c in cities.values()} == {"广东省"}
    assert changed == 4 + 7  # four cities, seven provinces
    updates = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    # one per distinct value that changes: 上海, 上海市区, 北京 and 广东 — never per row
    assert len(updates) == 4
