"""An import of a file up to the limit runs in bounded memory (security-hardening issue):
the CSV is decoded as it is read, an XLSX's shared strings stay on disk, rows reach the
database in chunks bounded by rows and characters, and the rejected-rows report is
written to a file as it is read back. Measured with tracemalloc's peak, which the old
code — the whole file as bytes, then as text, then the text again without NULs —
exceeded several times over."""

import csv
import random
import time
import tracemalloc

import pytest
from django.core.files import File
from openpyxl import Workbook

from customers.models import Customer, ImportJob, Order, OrderLine
from customers.services.importing import import_job_create, import_job_run

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
# Text that does not compress much (an XLSX of one repeated note looks like a zip bomb).
_POOL = "".join(random.Random(7).choices([chr(c) for c in range(0x4E00, 0x9FA5)], k=1_000_000))


def note(number: int) -> str:
    """4,000 characters of Chinese text, different for each row."""
    start = number * 4001 % (len(_POOL) - 4000)
    return _POOL[start : start + 4000]


def traced_import(user, path, kind="customers"):
    """Create and run the job from a file on disk; the peak of Python allocations."""
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            job = import_job_create(
                user=user, file=File(handle, name=path.name), kind=kind, queue=False
            )
        result = import_job_run(job=job)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def test_a_24_mb_csv_is_imported_in_a_fraction_of_its_size(staff_a, tmp_path):
    path = tmp_path / "customers.csv"
    rows = 2000
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机号", "附加信息"])
        for number in range(rows):
            # every third row has no contact: rejected, and its 4,000-character cell goes
            # into the report
            mobile = "" if number % 3 == 0 else f"138{number:08d}"
            writer.writerow([f"客户{number}", mobile, note(number)])
    size = path.stat().st_size
    assert size > 22 * MB
    started = time.monotonic()

    result, peak = traced_import(staff_a, path)

    assert result.status == "done", result.failure
    assert (result.created, result.rejected) == (1333, 667)
    assert Customer.objects.count() == 1333
    job = ImportJob.objects.get()
    with job.error_report.open("rb") as report:
        assert sum(1 for _line in report) == 668  # the header and every rejected row
    # The old code held the file three times (bytes, text, text without NULs): > 70 MB.
    assert peak < 24 * MB, f"peak {peak / MB:.1f} MB for a {size / MB:.1f} MB file"
    assert time.monotonic() - started < 30


def test_an_xlsx_of_large_shared_strings_keeps_them_out_of_memory(staff_a, tmp_path):
    path = tmp_path / "customers.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["姓名", "手机号", "附加信息"])
    for number in range(2000):
        sheet.append([f"客户{number}", f"139{number:08d}", note(number)])
    workbook.save(path)

    result, peak = traced_import(staff_a, path)

    assert result.status == "done", result.failure
    assert result.created == 2000
    # openpyxl alone kept the 8 million characters of shared strings (16 MB as Python
    # text) for the whole run.
    assert peak < 12 * MB, f"peak {peak / MB:.1f} MB"


def test_a_20_mb_order_csv_is_grouped_without_holding_its_rows(staff_a, tmp_path):
    """Lines of one order are spread over the whole file (line k of order n on row
    n + k × orders), so grouping them by order number is needed, and used to hold every
    row of the file until the first chunk could be written."""
    mobiles = [f"+86137{number:08d}" for number in range(50)]
    Customer.objects.bulk_create(
        Customer(name=f"客户{number}", mobile=mobile, department=staff_a.department)
        for number, mobile in enumerate(mobiles)
    )
    path = tmp_path / "orders.csv"
    orders, lines = 2400, 3
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["订单号", "手机号", "下单时间", "商品", "数量", "单价", "附加信息"])
        for line in range(lines):
            for order in range(orders):
                # every eighth order has a bad unit price on its last line: all three
                # of its lines are rejected, each with its reason
                price = "abc" if order % 8 == 0 and line == lines - 1 else "12.50"
                writer.writerow(
                    [
                        f"SO{order:06d}",
                        mobiles[order % 50][3:],
                        "2024-01-05 14:30",
                        f"商品{order}-{line}" + "咖啡豆" * 30,
                        "2",
                        price,
                        note(order * lines + line)[:950],
                    ]
                )
    size = path.stat().st_size
    assert size > 20 * MB
    started = time.monotonic()

    result, peak = traced_import(staff_a, path, kind="orders")

    assert result.status == "done", result.failure
    assert (result.created, result.rejected) == (2100 * lines, 300 * lines)
    assert Order.objects.count() == 2100
    assert OrderLine.objects.count() == 2100 * lines
    order = Order.objects.get(order_no="SO000001")
    assert str(order.amount) == "75.00"  # 3 lines × 2 × 12.50
    job = ImportJob.objects.get()
    reasons = dict(job.rejections.values_list("row_number", "reason"))
    # SO000000: rows 2, 2402 and 4802 (the header is row 1)
    assert "Unit price “abc” is not a number" in reasons[4802]
    assert reasons[2] == reasons[2402] == "Another line of order SO000000 (row 4802) was rejected"
    with job.error_report.open("rb") as report:
        assert sum(1 for _line in report) == 300 * lines + 1
    # The old code held all 7,200 rows (6.9 million characters) before its first chunk.
    assert peak < 16 * MB, f"peak {peak / MB:.1f} MB for a {size / MB:.1f} MB file"
    assert time.monotonic() - started < 30
