"""The product catalogue: built from the lines typed before it, picked on orders (which
keep what was sold when the product changes), its pages and their sales figures, its API,
and trends and recommendations that count a renamed product once."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from customers.models import Order, OrderLine, Product
from customers.product_backfill import products_from_order_lines
from customers.services.orders import order_record
from customers.services.products import product_update
from customers.tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _line(order, name, category, price, quantity="1"):
    return OrderLineFactory(
        order=order,
        product=name,
        category=category,
        unit_price=Decimal(price),
        quantity=Decimal(quantity),
    )


# --- the migration's function ----------------------------------------------------------


def test_typed_lines_become_distinct_products_priced_at_their_latest_sale(department_a):
    customer = CustomerFactory(department=department_a)
    now = dt.datetime(2026, 5, 1, 12, tzinfo=SHANGHAI)
    old = OrderFactory(customer=customer, ordered_at=now - dt.timedelta(days=30))
    new = OrderFactory(customer=customer, ordered_at=now)
    refund = OrderFactory(customer=customer, ordered_at=now + dt.timedelta(days=1), amount=-88)
    lines = [
        _line(old, "挂耳咖啡", "咖啡", "39.90"),
        _line(new, "挂耳咖啡", "咖啡", "35.00"),  # the latest sale: its price is the list price
        _line(refund, "挂耳咖啡", "咖啡", "-99.00"),  # a refund is no price offered
        _line(old, "挂耳咖啡", "礼盒", "128.00"),  # same name, other category: its own product
        _line(new, "手冲壶", "", "199.00"),
        _line(refund, "只退过的杯子", "器具", "-20.00"),  # only refunded: its price, positive
    ]

    assert products_from_order_lines(Product, OrderLine) == 4

    products = {(p.name, p.category): p.list_price for p in Product.objects.all()}
    assert products == {
        ("挂耳咖啡", "咖啡"): Decimal("35.00"),
        ("挂耳咖啡", "礼盒"): Decimal("128.00"),
        ("手冲壶", ""): Decimal("199.00"),
        ("只退过的杯子", "器具"): Decimal("20.00"),
    }
    for line in lines:
        line.refresh_from_db()
        assert (line.catalogue_product.name, line.catalogue_product.category) == (
            line.product,
            line.category,
        )
    # Run again: nothing new, nothing unlinked.
    assert products_from_order_lines(Product, OrderLine) == 0
    assert not OrderLine.objects.filter(catalogue_product=None).exists()


def test_imported_lines_that_name_a_product_exactly_are_linked_to_it(staff_a, department_a):
    from customers.tests.import_files import csv_bytes, run_import

    beans = ProductFactory(name="咖啡豆", category="咖啡")
    CustomerFactory(department=department_a, mobile="+8613812345678")
    header = ["订单号", "手机号", "下单时间", "商品", "品类", "数量", "单价"]
    rows = [
        ["IM1", "13812345678", "2024-01-05 14:30", "咖啡豆", "咖啡", "2", "100"],
        ["IM1", "", "", "咖啡豆", "礼盒", "1", "100"],  # another category: not this product
        ["IM2", "13812345678", "2024-01-06 10:00", "定制杯", "", "1", "50"],
    ]
    run_import(staff_a, csv_bytes([header, *rows]), name="orders.csv", kind="orders")

    linked = sorted(
        OrderLine.objects.values_list("order__order_no", "product", "category", "catalogue_product")
    )
    assert linked == [
        ("IM1", "咖啡豆", "咖啡", beans.pk),
        ("IM1", "咖啡豆", "礼盒", None),
        ("IM2", "定制杯", "", None),
    ]


# --- orders pick products and keep what was sold ---------------------------------------


def test_an_order_records_the_picked_product_and_keeps_its_snapshot_after_a_rename(
    department_a, staff_a, manager_a
):
    beans = ProductFactory(name="云南咖啡豆", category="咖啡", list_price=Decimal("98.00"))
    customer = CustomerFactory(department=department_a)
    order = order_record(
        customer=customer,
        order_no="P-1",
        ordered_at=dt.datetime(2026, 3, 1, 10, tzinfo=SHANGHAI),
        lines=[
            # picked, the price offered lowered for a discount
            {
                "catalogue_product": beans.pk,
                "product": "云南咖啡豆",
                "category": "咖啡",
                "quantity": "2",
                "unit_price": "88.00",
            },
            # picked through the API with nothing but the product: the catalogue fills it
            {"catalogue_product": beans.pk, "quantity": "1"},
            # an "other item", not in the catalogue
            {"product": "定制刻字", "quantity": "1", "unit_price": "30.00"},
        ],
        user=staff_a,
    )
    assert order.amount == Decimal("304.00")  # 2 × 88 + 98 + 30
    rows = list(
        order.lines.order_by("pk").values_list(
            "catalogue_product", "product", "category", "quantity", "unit_price"
        )
    )
    assert rows == [
        (beans.pk, "云南咖啡豆", "咖啡", Decimal("2.00"), Decimal("88.00")),
        (beans.pk, "云南咖啡豆", "咖啡", Decimal("1.00"), Decimal("98.00")),
        (None, "定制刻字", "", Decimal("1.00"), Decimal("30.00")),
    ]

    product_update(
        product=beans, name="云南小粒咖啡豆", category="精品咖啡", list_price="120", user=manager_a
    )

    assert list(order.lines.order_by("pk").values_list("product", "category", "unit_price")) == [
        ("云南咖啡豆", "咖啡", Decimal("88.00")),
        ("云南咖啡豆", "咖啡", Decimal("98.00")),
        ("定制刻字", "", Decimal("30.00")),
    ]
    assert Order.objects.get(pk=order.pk).amount == Decimal("304.00")


def test_an_inactive_product_cannot_be_picked(department_a, staff_a):
    from django.core.exceptions import ValidationError

    retired = ProductFactory(active=False)
    with pytest.raises(ValidationError, match="not in the catalogue"):
        order_record(
            customer=CustomerFactory(department=department_a),
            order_no="P-2",
            ordered_at=dt.datetime(2026, 3, 1, 10, tzinfo=SHANGHAI),
            lines=[{"catalogue_product": retired.pk, "quantity": "1"}],
            user=staff_a,
        )
    assert not Order.objects.filter(order_no="P-2").exists()


def test_the_order_form_posts_a_picked_and_a_typed_line(staff_a_client, department_a):
    cup = ProductFactory(name="骨瓷咖啡杯", category="器具", list_price=Decimal("68.00"))
    customer = CustomerFactory(department=department_a)
    response = staff_a_client.post(
        reverse("customers:order-add", args=[customer.pk]),
        {
            "ordered_at": "2026-03-01T10:00",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-catalogue_product": str(cup.pk),
            "lines-0-product": "骨瓷咖啡杯",
            "lines-0-category": "器具",
            "lines-0-quantity": "2",
            "lines-0-unit_price": "60.00",
            "lines-1-catalogue_product": "",
            "lines-1-product": "包装费",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "5.50",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert order.amount == Decimal("125.50")
    assert list(order.lines.order_by("pk").values_list("catalogue_product", "product")) == [
        (cup.pk, "骨瓷咖啡杯"),
        (None, "包装费"),
    ]


# --- the products pages ----------------------------------------------------------------


def test_staff_read_the_catalogue_but_cannot_change_it(staff_a_client):
    product = ProductFactory(name="桂花乌龙")
    page = staff_a_client.get(reverse("customers:products"))
    assert page.status_code == 200
    assert "桂花乌龙" in page.content.decode()
    assert reverse("customers:product-edit", args=[product.pk]) not in page.content.decode()
    assert staff_a_client.get(reverse("customers:product-add")).status_code == 403
    assert (
        staff_a_client.post(
            reverse("customers:product-edit", args=[product.pk]),
            {"name": "改名", "list_price": "1"},
        ).status_code
        == 403
    )
    assert (
        staff_a_client.post(reverse("customers:product-toggle", args=[product.pk])).status_code
        == 403
    )
    product.refresh_from_db()
    assert (product.name, product.active) == ("桂花乌龙", True)


def test_a_manager_adds_edits_and_deactivates_a_product(manager_a_client):
    response = manager_a_client.post(
        reverse("customers:product-add"),
        {
            "name": "  大红袍礼盒 ",
            "category": "茶叶",
            "sku": "TEA-01",
            "list_price": "388.00",
            "active": "on",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(sku="TEA-01")
    assert (product.name, product.list_price, product.active) == (
        "大红袍礼盒",
        Decimal("388.00"),
        True,
    )
    clash = manager_a_client.post(
        reverse("customers:product-add"),
        {"name": "别的茶", "sku": "TEA-01", "list_price": "1", "active": "on"},
    )
    assert clash.status_code == 200 and Product.objects.count() == 1

    manager_a_client.post(
        reverse("customers:product-edit", args=[product.pk]),
        {
            "name": "武夷大红袍礼盒",
            "category": "茶叶",
            "sku": "",
            "list_price": "358",
            "active": "on",
        },
    )
    product.refresh_from_db()
    assert (product.name, product.sku, product.list_price) == (
        "武夷大红袍礼盒",
        None,
        Decimal("358.00"),
    )
    manager_a_client.post(reverse("customers:product-toggle", args=[product.pk]))
    product.refresh_from_db()
    assert product.active is False
    search = manager_a_client.get(reverse("customers:product-search"), {"q": "大红袍"})
    assert search.json() == {"products": []}  # deactivated: no longer offered


def test_sales_figures_are_the_sums_of_the_lines_the_reader_may_see(
    manager_a_client, admin_client_user, department_a, department_b
):
    tea = ProductFactory(name="龙井", category="茶叶", list_price=Decimal("100"))
    own = CustomerFactory(department=department_a)
    other = CustomerFactory(department=department_b)
    first = OrderFactory(customer=own, amount=Decimal("250.00"))
    OrderLineFactory(
        order=first, catalogue_product=tea, product="龙井", quantity=2, unit_price=Decimal("100.00")
    )
    OrderLineFactory(
        order=first, catalogue_product=tea, product="龙井", quantity=1, unit_price=Decimal("50.00")
    )
    second = OrderFactory(customer=own, amount=Decimal("90.00"))
    OrderLineFactory(
        order=second, catalogue_product=tea, product="龙井", quantity=1, unit_price=Decimal("90.00")
    )
    refund = OrderFactory(customer=own, amount=Decimal("-100.00"))
    OrderLineFactory(
        order=refund,
        catalogue_product=tea,
        product="龙井",
        quantity=-1,
        unit_price=Decimal("100.00"),
    )
    foreign = OrderFactory(customer=other, amount=Decimal("1000.00"))
    OrderLineFactory(
        order=foreign,
        catalogue_product=tea,
        product="龙井",
        quantity=10,
        unit_price=Decimal("100.00"),
    )
    OrderLineFactory(order=first, product="龙井", quantity=5, unit_price=Decimal("1.00"))  # typed

    def figures(client):
        page = client.get(reverse("customers:products")).content.decode()
        row = page.split(f'data-product="{tea.pk}"')[1].split(">")[0]
        return row

    # Department A: orders 2 (the refund is none); revenue 200 + 50 + 90 − 100 = 240.00.
    assert 'data-orders="2"' in figures(manager_a_client)
    assert 'data-revenue="240.00"' in figures(manager_a_client)
    # Admins see the company: 3 orders; 240 + 1000 = 1240.00.
    assert 'data-orders="3"' in figures(admin_client_user)
    assert 'data-revenue="1240.00"' in figures(admin_client_user)


# --- the API -----------------------------------------------------------------------------


def test_api_lists_products_to_staff_and_lets_managers_create_them(
    api_client_for, staff_a, manager_a, department_a
):
    ProductFactory(name="茉莉花茶", category="茶叶")
    listed = api_client_for(staff_a).get("/api/v1/products/", {"q": "茉莉"})
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()["results"]] == ["茉莉花茶"]
    denied = api_client_for(staff_a).post(
        "/api/v1/products/", {"name": "新茶", "list_price": "10"}, format="json"
    )
    assert denied.status_code == 403
    made = api_client_for(manager_a).post(
        "/api/v1/products/", {"name": "新茶", "list_price": "10", "category": "茶叶"}, format="json"
    )
    assert made.status_code == 201, made.content
    assert Product.objects.filter(name="新茶", list_price=Decimal("10.00")).exists()


def test_api_order_lines_take_a_product_id(api_client_for, staff_a, department_a):
    cup = ProductFactory(name="玻璃杯", category="器具", list_price=Decimal("45.00"))
    customer = CustomerFactory(department=department_a)
    response = api_client_for(staff_a).post(
        "/api/v1/orders/",
        {
            "customer": customer.pk,
            "order_no": "API-P-1",
            "ordered_at": "2026-03-01T10:00:00+08:00",
            "lines": [
                {"product_id": cup.pk, "quantity": "2"},
                {"product": "贺卡", "unit_price": "3.00"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "93.00"
    assert [(line["product_id"], line["product"]) for line in body["lines"]] == [
        (cup.pk, "玻璃杯"),
        (None, "贺卡"),
    ]
