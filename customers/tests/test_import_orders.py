"""Importing orders: several lines per order, refunds, idempotence by order number, and
customers that cannot be found or seen."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from customers.models import ImportJob, Order, OrderLine
from customers.services import importing, importing_orders
from customers.services.importing import import_job_create, import_job_run
from customers.tests.factories import CustomerFactory, OrderFactory
from customers.tests.import_files import csv_bytes, run_import

pytestmark = pytest.mark.django_db

STORE = "上海旗舰店"
HEADER = ["订单号", "手机号", "邮箱", "下单时间", "金额", "商品", "品类", "数量", "单价", "门店"]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def customers(department_a, department_b):
    ours = CustomerFactory(department=department_a, mobile="+8613812345678", email="")
    by_email = CustomerFactory(department=department_a, mobile="", email="li@example.cn")
    theirs = CustomerFactory(department=department_b, mobile="+8613912345678")
    OrderFactory(customer=ours, order_no="SO8", amount=Decimal("50.00"))
    return ours, by_email, theirs


def order_file() -> bytes:
    return csv_bytes(
        [
            HEADER,
            ["SO1", "13812345678", "", "2024-01-05 14:30", "¥300.00", "咖啡豆", "咖啡", "2", "100",
             STORE],
            ["SO1", "", "", "", "", "马克杯", "周边", "1", "100", ""],
            ["SO2", "13812345678", "", "2024/1/8 10:00", "-100", "咖啡豆", "咖啡", "-1", "100",
             STORE],
            ["SO3", "", "LI@example.cn", "20240110", "59.9", "挂耳咖啡", "咖啡", "", "", "天猫"],
            ["SO4", "13712345678", "", "2024-01-11", "10", "茶", "茶饮", "1", "10", ""],
            ["SO5", "13912345678", "", "2024-01-12", "10", "茶", "茶饮", "1", "10", ""],
            ["SO6", "13812345678", "", "2024-01-13 09:00", "", "茶", "茶饮", "1", "10", ""],
            ["SO6", "13812345678", "", "2024-01-14 09:00", "", "茶", "茶饮", "1", "10", ""],
            ["SO7", "13812345678", "", "2024-01-15", "", "茶", "茶饮", "1", "abc", ""],
            ["SO7", "13812345678", "", "2024-01-15", "", "杯子", "周边", "1", "20", ""],
            ["SO8", "13812345678", "", "2024-01-16", "50", "茶", "茶饮", "1", "50", ""],
            ["SO9", "13812345678", "", "2024-01-17", "", "茶", "茶饮", "3", "12.50", ""],
            ["SO9", "13812345678", "", "2024-01-17", "", "杯子", "周边", "2", "20", ""],
            ["", "13812345678", "", "2024-01-18", "10", "茶", "茶饮", "1", "10", ""],
        ]
    )  # fmt: skip


def test_orders_with_several_lines_refunds_and_unknown_customers(staff_a, customers):
    ours, by_email, _theirs = customers

    result = run_import(staff_a, order_file(), name="orders.csv", kind="orders")

    assert result.total == 14
    assert (result.created, result.skipped, result.rejected) == (6, 1, 7)
    assert result.skipped_reasons == {"order_exists": 1}
    so1 = Order.objects.get(order_no="SO1")
    assert (so1.customer, so1.amount, so1.store) == (ours, Decimal("300.00"), "上海旗舰店")
    assert timezone.localtime(so1.ordered_at).replace(tzinfo=None) == dt.datetime(
        2024, 1, 5, 14, 30
    )
    assert sorted(so1.lines.values_list("product", "quantity", "unit_price")) == [
        ("咖啡豆", Decimal("2.00"), Decimal("100.00")),
        ("马克杯", Decimal("1.00"), Decimal("100.00")),
    ]
    refund = Order.objects.get(order_no="SO2")
    assert refund.amount == Decimal("-100.00")
    so3 = Order.objects.get(order_no="SO3")
    assert so3.customer == by_email
    assert list(so3.lines.values_list("quantity", "unit_price")) == [
        (Decimal("1.00"), Decimal("59.90"))
    ]
    assert Order.objects.get(order_no="SO9").amount == Decimal("77.50")  # 3 × 12.50 + 2 × 20
    assert not Order.objects.filter(order_no__in=["SO4", "SO5", "SO6", "SO7"]).exists()

    reasons = dict(ImportJob.objects.get().rejections.values_list("row_number", "reason"))
    assert reasons[6] == "No customer you can see has this mobile phone"
    assert reasons[7] == "No customer you can see has this mobile phone"  # another department
    assert "disagree on Ordered at (rows 8 and 9)" in reasons[8]
    assert reasons[9] == reasons[8]
    assert "Unit price “abc” is not a number" in reasons[10]
    assert reasons[11] == "Another line of order SO7 (row 10) was rejected"
    assert reasons[15].startswith("Order number is missing")


def test_second_import_of_the_same_orders_changes_nothing(staff_a, customers):
    first = run_import(staff_a, order_file(), name="orders.csv", kind="orders")
    orders = sorted(Order.objects.values_list())
    lines = sorted(OrderLine.objects.values_list())

    second = run_import(staff_a, order_file(), name="orders.csv", kind="orders")

    assert sorted(Order.objects.values_list()) == orders
    assert sorted(OrderLine.objects.values_list()) == lines
    assert second.created == 0
    assert second.skipped == first.created + first.skipped
    assert second.rejected == first.rejected


def test_an_order_number_of_an_invisible_customer_is_rejected_not_skipped(
    staff_a, customers, department_b
):
    _ours, _by_email, theirs = customers
    OrderFactory(customer=theirs, order_no="SO-B-1")
    content = csv_bytes(
        [HEADER, ["SO-B-1", "13812345678", "", "2024-01-05", "10", "茶", "", "1", "10", ""]]
    )

    result = run_import(staff_a, content, name="orders.csv", kind="orders")

    assert result.rejected == 1
    assert Order.objects.get(order_no="SO-B-1").customer == theirs


def test_orders_can_name_the_customer_by_id(staff_a, customers):
    ours = customers[0]
    content = csv_bytes(
        [["订单号", "客户ID", "日期", "金额"], ["SO-ID-1", str(ours.pk), "2024-02-01", "88"]]
    )

    result = run_import(staff_a, content, name="orders.csv", kind="orders")

    assert result.created == 1
    order = Order.objects.get(order_no="SO-ID-1")
    assert (order.customer, order.amount, order.lines.count()) == (ours, Decimal("88.00"), 0)


def test_dry_run_of_orders_writes_nothing(staff_a, customers):
    count = Order.objects.count()

    result = run_import(staff_a, order_file(), name="orders.csv", kind="orders", dry_run=True)

    assert Order.objects.count() == count
    assert (result.created, result.skipped, result.rejected) == (6, 1, 7)
    assert [entry["values"]["order_no"] for entry in result.preview][:3] == ["SO1", "SO2", "SO3"]


def whole_file_chunks(rows, size, chars):
    """The grouping as it was done before the rows were spilled to disk: every row held."""
    groups: dict = {}
    for number, cells in rows:
        groups.setdefault(cells[0].strip() or ("missing", number), []).append((number, cells))
    chunks, chunk, weight = [], [], 0
    for lines in groups.values():
        chunk.extend(lines)
        weight += sum(importing.row_weight(cells) for _number, cells in lines)
        if len(chunk) >= size or weight >= chars:
            chunks.append(chunk)
            chunk, weight = [], 0
    return chunks + ([chunk] if chunk else [])


def bare_importer() -> importing_orders.OrderImporter:
    importer = importing_orders.OrderImporter.__new__(importing_orders.OrderImporter)
    importer.order_no_index = 0
    importer.too_large = set()
    return importer


@pytest.mark.parametrize("seed", range(5))
def test_orders_are_chunked_as_when_the_whole_file_was_held(monkeypatch, seed):
    """Same chunks as the old in-memory grouping, so a job started before the change
    resumes at the same boundaries; lines of an order are never split."""
    monkeypatch.setattr(importing_orders, "CHUNK_ROWS", 7)
    monkeypatch.setattr(importing_orders, "CHUNK_CHARS", 120)
    rng = random.Random(seed)
    rows = [
        (number, [rng.choice(["", " SO1", "SO1", "SO2", "12", "so2", *map(str, range(30))]),
                  "x" * rng.randint(0, 30), 5])
        for number in range(2, 400)
        if rng.random() < 0.9
    ]  # fmt: skip

    chunks = list(bare_importer().order_chunks(iter(rows)))

    assert chunks == whole_file_chunks(rows, 7, 120)
    assert sorted(number for chunk in chunks for number, _cells in chunk) == [n for n, _ in rows]


def test_an_order_too_large_for_a_chunk_is_rejected_whole(staff_a, customers, monkeypatch):
    monkeypatch.setattr(importing_orders, "CHUNK_ROWS", 3)
    monkeypatch.setattr(importing_orders, "ORDER_MAX_LINES", 3)
    line = ["13812345678", "", "2024-03-01", "", "茶", "茶饮", "1", "10", ""]
    order_nos = ["BIG", "SO1", "BIG", "BIG", "SO1", "BIG", "SO2", "SO3", "SO4"]
    content = csv_bytes([HEADER, *([order_no, *line] for order_no in order_nos)])

    result = run_import(staff_a, content, name="orders.csv", kind="orders")

    assert (result.created, result.rejected) == (5, 4)
    assert sorted(Order.objects.values_list("order_no", flat=True)) == [
        "SO1", "SO2", "SO3", "SO4", "SO8"
    ]  # fmt: skip
    reasons = dict(ImportJob.objects.get().rejections.values_list("row_number", "reason"))
    assert reasons == dict.fromkeys(
        [2, 4, 5, 7],
        "Order BIG is too large to import: more than 3 lines or 2000000 characters",
    )


def test_an_order_job_resumed_after_a_crash_imports_each_order_once(
    staff_a, customers, monkeypatch
):
    monkeypatch.setattr(importing_orders, "CHUNK_ROWS", 5)
    rows = [HEADER] + [
        [f"R{n % 9}", "13812345678", "", "2024-03-01", "", f"商品{n}", "", "1", "10", ""]
        for n in range(30)
    ]
    job = import_job_create(
        user=staff_a, file=ContentFile(csv_bytes(rows), name="o.csv"), kind="orders", queue=False
    )
    commit_chunk = importing._commit_chunk
    calls = []

    def dies_on_second_chunk(*args, **kwargs):
        calls.append(kwargs["start"])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the worker dies: nothing gets to catch it
        return commit_chunk(*args, **kwargs)

    monkeypatch.setattr(importing, "_commit_chunk", dies_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        import_job_run(job=job)
    job.refresh_from_db()
    assert (job.processed_rows, job.created_count) == (8, 8)  # R0 and R1, 4 lines each, one chunk

    monkeypatch.setattr(importing, "_commit_chunk", commit_chunk)
    result = import_job_run(job=job)

    assert (result.status, result.total, result.created) == ("done", 30, 30)
    assert Order.objects.filter(order_no__startswith="R").count() == 9
    assert OrderLine.objects.filter(order__order_no__startswith="R").count() == 30
