"""A segment's trends: monthly spend, purchase frequency and category shares on a world
built by hand (every figure computed in the comments), the range read from the address,
the Trends tab and its CSV/XLSX export."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from carecrm.core.models import AuditAction, AuditEntry
from customers.services.products import product_update
from customers.tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)
from segmentation.selectors import trends as trends_module
from segmentation.selectors.trends import MonthRange, segment_trends, trend_range
from segmentation.tests.factories import SegmentFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q1 = MonthRange(dt.date(2026, 1, 1), dt.date(2026, 3, 1))
GOLD = {"match": "all", "conditions": [{"field": "vip_level", "op": "in", "value": ["gold"]}]}


def at(year, month, day, hour=12, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def order(customer, when, amount, *lines):
    placed = OrderFactory(customer=customer, ordered_at=when, amount=Decimal(amount))
    for category, quantity, price in lines:
        OrderLineFactory(
            order=placed,
            category=category,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
        )
    return placed


@pytest.fixture
def world(department_a, department_b):
    segment = SegmentFactory(department=department_a, rules=GOLD, name="金卡会员")
    gold = [CustomerFactory(department=department_a, vip_level="gold") for _ in range(3)]
    g1, g2, g3 = gold
    # January: g1 ¥100 (咖啡 1 × 60, 茶 2 × 20) and ¥50 at 23:30 on the 31st (咖啡 1 × 50);
    # g2 ¥200 (no lines) and a refund of ¥30.
    order(g1, at(2026, 1, 5), "100.00", ("咖啡", "1", "60.00"), ("茶", "2", "20.00"))
    order(g1, at(2026, 1, 31, 23, 30), "50.00", ("咖啡", "1", "50.00"))
    order(g2, at(2026, 1, 20), "200.00")
    order(g2, at(2026, 1, 25), "-30.00")
    # February: g1 ¥80 at 00:30 on the 1st, local time (still January in UTC): 茶 4 × 20.
    order(g1, at(2026, 2, 1, 0, 30), "80.00", ("茶", "4", "20.00"))
    # March: g3 ¥300, one line without a category.
    order(g3, at(2026, 3, 10), "300.00", ("", "1", "300.00"))
    # Outside: before the range; a silver customer; a gold customer of another department.
    order(g2, at(2025, 12, 31, 20), "999.00", ("咖啡", "1", "999.00"))
    silver = CustomerFactory(department=department_a, vip_level="silver")
    order(silver, at(2026, 1, 10), "500.00", ("茶", "1", "500.00"))
    foreign = CustomerFactory(department=department_b, vip_level="gold")
    order(foreign, at(2026, 1, 10), "700.00", ("茶", "1", "700.00"))
    return segment


def test_monthly_spend_purchases_buyers_and_orders_per_buyer(world, staff_a):
    trends = segment_trends(world, user=staff_a, month_range=Q1)
    rows = [(m.label, m.spend, m.purchases, m.buyers, m.orders_per_buyer) for m in trends.months]
    # Jan: 100 + 50 + 200 − 30 = 320.00; purchases 3 (the refund is none); buyers g1, g2;
    #   3 / 2 = 1.50. Feb: g1's 80.00 at 00:30 local. Mar: g3's 300.00.
    assert rows == [
        ("2026-01", Decimal("320.00"), 3, 2, Decimal("1.50")),
        ("2026-02", Decimal("80.00"), 1, 1, Decimal("1.00")),
        ("2026-03", Decimal("300.00"), 1, 1, Decimal("1.00")),
    ]
    assert trends.total_spend == Decimal("700.00") and trends.total_purchases == 5


def test_category_shares_per_month(world, staff_a):
    trends = segment_trends(world, user=staff_a, month_range=Q1)
    # Over the range: uncategorised 300, 茶 40 + 80 = 120, 咖啡 60 + 50 = 110 (ranked).
    # Jan lines 150: 咖啡 110 → 73.3 %, 茶 40 → 26.7 %; Feb 茶 100 %; Mar uncategorised 100 %.
    table = {c.label: (c.total, c.shares) for c in trends.categories}
    assert list(table) == ["Uncategorised", "茶", "咖啡"]
    assert table["Uncategorised"] == (
        Decimal("300.00"),
        [Decimal("0.0"), Decimal("0.0"), Decimal("100.0")],
    )
    assert table["茶"] == (Decimal("120.00"), [Decimal("26.7"), Decimal("100.0"), Decimal("0.0")])
    assert table["咖啡"] == (Decimal("110.00"), [Decimal("73.3"), Decimal("0.0"), Decimal("0.0")])


def test_small_categories_are_grouped_and_empty_months_have_no_share(world, staff_a, monkeypatch):
    monkeypatch.setattr(trends_module, "TOP_CATEGORIES", 2)
    april = MonthRange(dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    trends = segment_trends(world, user=staff_a, month_range=april)
    labels = [c.label for c in trends.categories]
    assert labels == ["Uncategorised", "茶", "Other categories"]
    other = trends.categories[2]
    assert other.shares == [Decimal("73.3"), Decimal("0.0"), Decimal("0.0"), None]
    assert trends.months[3].spend == Decimal("0.00") and trends.months[3].orders_per_buyer is None


def test_only_members_the_user_may_see_count(department_a, department_b, staff_a, admin_user):
    segment = SegmentFactory(department=None, rules=GOLD)
    order(CustomerFactory(department=department_a, vip_level="gold"), at(2026, 2, 2), "10.00")
    order(CustomerFactory(department=department_b, vip_level="gold"), at(2026, 2, 3), "20.00")
    assert segment_trends(segment, user=staff_a, month_range=Q1).total_spend == Decimal("10.00")
    assert segment_trends(segment, user=admin_user, month_range=Q1).total_spend == Decimal("30.00")


@pytest.mark.parametrize(
    ("params", "expected", "error"),
    [
        ({}, (dt.date(2025, 7, 1), dt.date(2026, 6, 1)), None),
        ({"months": "24"}, (dt.date(2024, 7, 1), dt.date(2026, 6, 1)), None),
        ({"from": "2026-01", "to": "2026-03"}, (dt.date(2026, 1, 1), dt.date(2026, 3, 1)), None),
        ({"months": "7"}, (dt.date(2025, 7, 1), dt.date(2026, 6, 1)), "not offered"),
        (
            {"from": "2026-1", "to": "2026-03"},
            (dt.date(2025, 7, 1), dt.date(2026, 6, 1)),
            "YYYY-MM",
        ),
        ({"from": "2026-03"}, (dt.date(2025, 7, 1), dt.date(2026, 6, 1)), "YYYY-MM"),
        (
            {"from": "2026-05", "to": "2026-01"},
            (dt.date(2025, 7, 1), dt.date(2026, 6, 1)),
            "before",
        ),
        (
            {"from": "2020-01", "to": "2026-01"},
            (dt.date(2025, 7, 1), dt.date(2026, 6, 1)),
            "at most",
        ),
    ],
)
def test_the_range_is_read_from_the_address(params, expected, error):
    chosen, errors = trend_range(params, today=dt.date(2026, 6, 15))
    assert (chosen.first, chosen.last) == expected
    assert (error in errors[0]) if error else errors == []


def test_the_trends_tab_shows_charts_data_and_tables(world, staff_a_client):
    url = reverse("segmentation:trends", args=[world.pk])
    page = staff_a_client.get(url, {"from": "2026-01", "to": "2026-03"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="trend-data"' in html and "segment-trends.js" in html
    assert 'id="segment-trends-tab"' in html and "¥320.00" in html and "73.3 %" in html
    detail = staff_a_client.get(reverse("segmentation:detail", args=[world.pk])).content.decode()
    assert f'href="{url}"' in detail

    empty = staff_a_client.get(url, {"from": "2024-01", "to": "2024-06"}).content.decode()
    assert 'id="trends-empty"' in empty and "trend-data" not in empty
    bad = staff_a_client.get(url, {"from": "next year"}).content.decode()
    assert 'id="trend-errors"' in bad and "YYYY-MM" in bad


def test_another_departments_segment_is_not_found(world, client, staff_b):
    client.force_login(staff_b)
    assert client.get(reverse("segmentation:trends", args=[world.pk])).status_code == 404
    export = reverse("segmentation:trends-export", args=[world.pk])
    assert client.get(export).status_code == 404


def test_csv_and_xlsx_exports_carry_the_same_table_formula_safe(
    world, staff_a, staff_a_client, department_a
):
    member = CustomerFactory(department=department_a, vip_level="gold")
    order(member, at(2026, 3, 1), "10.00", ("=HYPERLINK(1)", "1", "10.00"))
    url = reverse("segmentation:trends-export", args=[world.pk])
    query = {"from": "2026-01", "to": "2026-03"}

    answer = staff_a_client.get(url, {**query, "as": "csv"})
    assert answer["Content-Disposition"].endswith('trends-202601-202603.csv"')
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Month", "Spend (CNY)", "Purchases", "Buyers", "Orders per buyer"]
    assert rows[0][5] == "Uncategorised (share, percent)"
    assert "'=HYPERLINK(1) (share, percent)" in rows[0]
    # Mar: 310.00 spend; lines 300 uncategorised, 10 the formula category → 96.8 / 3.2.
    assert rows[3][:5] == ["2026-03", "310.00", "2", "2", "1.00"]
    assert rows[3][5] == "96.8"

    answer = staff_a_client.get(url, {**query, "as": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert [sheet.cell(row=4, column=c).value for c in range(1, 6)] == rows[0][:5]
    assert sheet.cell(row=5, column=2).value == 320 and sheet.cell(row=5, column=2).number_format
    assert sheet.cell(row=7, column=6).value == pytest.approx(96.8)
    assert any(str(c.value).startswith("'=HYPERLINK") for c in sheet[4])

    assert staff_a_client.get(url, {**query, "as": "pdf"}).status_code == 400
    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=staff_a)
    assert exports.count() == 2
    assert exports.first().detail["trends"] in ("csv", "xlsx")


def test_a_product_renamed_and_re_filed_counts_as_one_category(department_a, manager_a):
    """Lines picked from the catalogue count under their product's category today; typed
    lines under their own. Without that, the mug would be split in 杯具 40 and 器具 40."""
    mug = ProductFactory(name="马克杯", category="杯具", list_price=Decimal("40"))
    segment = SegmentFactory(department=department_a, rules=GOLD)
    a, b = (CustomerFactory(department=department_a, vip_level="gold") for _ in range(2))

    def buy(customer, product, name, category):
        placed = OrderFactory(customer=customer, ordered_at=at(2026, 2, 10), amount=Decimal("80"))
        OrderLineFactory(order=placed, product="咖啡", category="咖啡", unit_price=Decimal("40"))
        OrderLineFactory(
            order=placed,
            catalogue_product=product,
            product=name,
            category=category,
            unit_price=Decimal("40"),
        )

    buy(a, mug, "马克杯", "杯具")
    product_update(product=mug, name="陶瓷马克杯", category="器具", user=manager_a)
    buy(b, mug, "陶瓷马克杯", "器具")

    february = MonthRange(dt.date(2026, 2, 1), dt.date(2026, 2, 1))
    trends = segment_trends(segment, user=manager_a, month_range=february)
    assert {c.label: (c.total, c.shares) for c in trends.categories} == {
        "咖啡": (Decimal("80.00"), [Decimal("50.0")]),
        "器具": (Decimal("80.00"), [Decimal("50.0")]),
    }
