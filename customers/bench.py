"""Benchmarks of the customers app (run by ``python manage.py bench customers``)."""

import csv
import json
import random
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings

from carecrm.core.bench import Figure, Stopwatch, child_env

IMPORT_HEADER = [
    "姓名", "手机号", "邮箱", "性别", "生日", "省份", "城市", "区县", "地址", "注册日期",
    "行业", "地区", "来源", "标签", "备注", "同意短信", "同意邮件",
]  # fmt: skip
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂"
_PLACES = [
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("广东省", "广州市", "天河区"),
    ("广东省", "深圳市", "南山区"),
    ("浙江省", "杭州市", "西湖区"),
    ("四川省", "成都市", "武侯区"),
]
_INDUSTRIES = ["零售", "餐饮", "制造", "互联网", "教育", "医疗"]
_SOURCES = ["销售系统", "客服", "营销表单", "CRM"]
_TAGS = ["VIP", "咖啡", "茶饮", "老客户", "企业采购", "新客"]


def write_customer_csv(path: Path, rows: int, *, seed: int = 20240105) -> None:
    """A clean customer file of ``rows`` distinct customers, dates in three formats."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADER)
        for number in range(rows):
            province, city, district = rng.choice(_PLACES)
            year, month, day = rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)
            birthday = rng.choice(
                [
                    f"{year}-{month:02d}-{day:02d}",
                    f"{year}/{month}/{day}",
                    f"{year}{month:02d}{day:02d}",
                ]
            )
            writer.writerow(
                [
                    rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(["", *_GIVEN]),
                    f"13{rng.randint(0, 9)}{number:08d}",
                    f"customer{number}@example.cn",
                    rng.choice(["男", "女", ""]),
                    birthday,
                    province,
                    city,
                    district,
                    f"{rng.choice(['世纪大道', '人民路', '中山路'])}{rng.randint(1, 999)}号",
                    f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(_INDUSTRIES),
                    rng.choice(["华东", "华北", "华南", "西南"]),
                    rng.choice(_SOURCES),
                    ",".join(rng.sample(_TAGS, rng.randint(0, 2))),
                    rng.choice(["", "", "老客户推荐", "电话回访过"]),
                    rng.choice(["是", "否", ""]),
                    rng.choice(["是", "否", ""]),
                ]
            )


def _bare_copy_seconds(path: Path, width: int = len(IMPORT_HEADER)) -> float:
    """PostgreSQL's own COPY of the file into a plain table of ``width`` text columns
    (autocommit, so the commit is timed too, as it is for the import)."""
    columns = ", ".join(f"c{index} text" for index in range(width))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_copy")
        cursor.execute(f"CREATE TABLE bench_bare_copy ({columns})")
        with path.open(encoding="utf-8-sig") as handle, Stopwatch() as watch:
            cursor.copy_expert(
                "COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle
            )
        cursor.execute("DROP TABLE bench_bare_copy")
    return watch.seconds


def _index_floor_seconds(table: str) -> float:
    """What writing the rows into a table shaped like the customer table costs by itself:
    ``INSERT … SELECT`` of the freshly imported rows into a copy with the same indexes and
    constraints. No import can be faster than this; it puts the import's ratio in context."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_customer_floor")
        cursor.execute(f"CREATE TABLE bench_customer_floor (LIKE {table} INCLUDING ALL)")
        with Stopwatch() as watch:
            cursor.execute(f"INSERT INTO bench_customer_floor SELECT * FROM {table}")  # noqa: S608
        cursor.execute("DROP TABLE bench_customer_floor")
    return watch.seconds


def bench_import(*, scale: float, stdout) -> list[Figure]:
    """Customer import of 100,000 × scale rows next to a bare COPY of the same file."""
    from carecrm.accounts.models import Department
    from customers.models import Customer
    from customers.services.importing import import_job_create, import_job_run

    rows = max(100, int(100_000 * scale))
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        path = Path(media) / "customers.csv"
        write_customer_csv(path, rows)
        data = path.read_bytes()
        copy_seconds = min(_bare_copy_seconds(path) for _ in range(3))
        stdout.write(f"  bare COPY of {rows:,} rows: {copy_seconds:.2f} s")
        department, _created = Department.objects.get_or_create(
            code="bench-import", defaults={"name": "Bench import"}
        )
        Customer.objects.filter(department=department).delete()

        def run(label: str):
            with Stopwatch() as watch:
                job = import_job_create(
                    user=None,
                    file=ContentFile(data, name="customers.csv"),
                    kind="customers",
                    department=department,
                    queue=False,
                )
                result = import_job_run(job=job)
            stdout.write(
                f"  {label}: {watch.seconds:.2f} s — created {result.created:,}, updated "
                f"{result.updated:,}, skipped {result.skipped:,}, rejected {result.rejected:,}"
            )
            if result.accounted != rows or result.rejected:
                raise AssertionError(f"bench import did not account for every row: {result}")
            return watch.seconds

        first = run("import into an empty table")
        second = run("second import of the same file")
        floor = _index_floor_seconds(Customer._meta.db_table)
        stdout.write(f"  the same rows into a copy of the customer table: {floor:.2f} s")
    baseline = rows / copy_seconds
    return [
        Figure(
            f"customer import, {rows:,} new rows (CSV)",
            rows / first,
            "rows/s",
            baseline_name="COPY of the same file into a plain table",
            baseline_value=baseline,
            higher_is_better=True,
            goal="within 5×",
        ),
        Figure(
            f"floor: {rows:,} rows inserted into a copy of the customer table "
            "(same indexes; no validation, consents, tags or audit)",
            rows / floor,
            "rows/s",
            baseline_name="COPY of the same file into a plain table",
            baseline_value=baseline,
            higher_is_better=True,
        ),
        Figure(
            f"customer import, same {rows:,} rows again (nothing changes)",
            rows / second,
            "rows/s",
            baseline_name="COPY of the same file into a plain table",
            baseline_value=baseline,
            higher_is_better=True,
        ),
    ]


def run(*, scale: float, stdout) -> list[Figure]:
    return bench_import(scale=scale, stdout=stdout)


# --- import memory (security-hardening issue: bounded memory up to the 50 MB limit) ------

IMPORT_CHILD = """
import json, os, sys, time, django
django.setup()
from carecrm.accounts.models import Department
from customers.services.importing import import_job_create, import_job_run
from django.core.files import File
path, kind = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if path:
    department = Department.objects.get(code="bench-import")
    with open(path, "rb") as handle:
        job = import_job_create(user=None, file=File(handle, name=os.path.basename(path)),
                                kind=kind, department=department, queue=False)
    result = import_job_run(job=job)
    outcome = {"status": result.status, "accounted": result.accounted,
               "rejected": result.rejected, "failure": result.failure}
else:  # the floor: Django set up and connected, nothing imported
    Department.objects.exists()
    outcome = {}
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
# (VmHWM, not ru_maxrss: Linux carries the bench process's peak at fork into the latter)
print(json.dumps({"seconds": seconds, "vmhwm_kb": hwm, **outcome}))
"""
NOTE_CHARS = [chr(code) for code in range(0x4E00, 0x9FA5)]


def _customer_rows(rows: int, *, seed: int, notes: bool):
    """The rows ``write_customer_csv`` writes, with a less compressible note when
    ``notes`` (so that an XLSX of the limit's size does not expand past its own limit)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    for number in range(rows):
        province, city, district = rng.choice(_PLACES)
        yield [
            rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(["", *_GIVEN]),
            f"13{rng.randint(0, 9)}{number:08d}",
            f"customer{number}@example.cn",
            rng.choice(["男", "女", ""]),
            f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            province,
            city,
            district,
            f"{rng.choice(['世纪大道', '人民路', '中山路'])}{rng.randint(1, 999)}号",
            f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice(_INDUSTRIES),
            rng.choice(["华东", "华北", "华南", "西南"]),
            rng.choice(_SOURCES),
            ",".join(rng.sample(_TAGS, rng.randint(0, 2))),
            "".join(rng.choices(NOTE_CHARS, k=40)) if notes else rng.choice(["", "老客户推荐"]),
            rng.choice(["是", "否", ""]),
            rng.choice(["是", "否", ""]),
        ]


def _write_csv(path: Path, rows: int, *, notes: bool) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADER)
        writer.writerows(_customer_rows(rows, seed=20240105, notes=notes))


def _write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(IMPORT_HEADER)
    for row in _customer_rows(rows, seed=20240105, notes=True):
        sheet.append(row)
    workbook.save(path)


def _rows_for(target_bytes: int, write, directory: Path, suffix: str) -> int:
    """How many rows make a file of about ``target_bytes`` (from a 2,000-row sample). An
    XLSX is also kept under the limit on its unpacked size, which it reaches first."""
    sample = directory / f"sample{suffix}"
    write(sample, 2000)
    rows = max(100, int(2000 * target_bytes / sample.stat().st_size))
    if suffix == ".xlsx":
        with zipfile.ZipFile(sample) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
        limit = settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES * 0.97
        rows = min(rows, max(100, int(2000 * limit / unpacked)))
    sample.unlink()
    return rows


ORDER_HEADER = ["订单号", "手机号", "下单时间", "商品", "品类", "数量", "单价", "门店"]
ORDER_CUSTOMERS = 1000
ORDER_LINES = 3


def _order_mobile(number: int) -> str:
    return f"1370{number:07d}"


def _write_order_csv(path: Path, orders: int) -> None:
    """``orders`` orders of three lines each, line k of order n on row n + k × orders: every
    order's lines are spread over the whole file, so the import has to regroup them."""
    rng = random.Random(20240106)  # noqa: S311 (test data, not secrets)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_HEADER)
        for _line in range(ORDER_LINES):
            for order in range(orders):
                writer.writerow(
                    [
                        f"BENCH{order:08d}",
                        _order_mobile(order % ORDER_CUSTOMERS),
                        f"2024-{order % 12 + 1:02d}-{order % 28 + 1:02d} 10:{order % 60:02d}",
                        "".join(rng.choices(NOTE_CHARS, k=12)),
                        rng.choice(["咖啡", "茶饮", "周边"]),
                        rng.randint(1, 5),
                        f"{rng.randint(100, 99900) / 100:.2f}",
                        ["上海旗舰店", "天猫", "京东", ""][order % 4],  # an order-level cell
                    ]
                )


def _child_import(path: Path | None, *, media: str, kind: str = "customers") -> dict:
    env = child_env()
    env["MEDIA_ROOT"] = media
    done = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-c", IMPORT_CHILD, str(path or ""), kind],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"the import process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_import_memory(*, scale: float, stdout) -> list[Figure]:
    """A 50 MB × scale CSV and a 50 MB × scale XLSX of customers, and a 50 MB × scale CSV
    of orders whose lines are spread over the file, each imported by a child process whose
    peak RSS (VmHWM) and time are reported, next to a child that only sets Django up
    (memory) and a bare COPY of the same rows (time)."""
    from carecrm.accounts.models import Department
    from customers.models import Customer, Order
    from customers.services.order_summaries import order_summaries_batched

    # Just under the upload limit: the sample-based row estimate may overshoot by a little,
    # and a file over the limit is refused, not measured.
    target = int(min(50 * 1024 * 1024 * scale, settings.IMPORT_MAX_BYTES) * 0.97)
    department, _created = Department.objects.get_or_create(
        code="bench-import", defaults={"name": "Bench import"}
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        floor = _child_import(None, media=directory)
        stdout.write(
            f"  Django set up, nothing imported: peak RSS {floor['vmhwm_kb'] / 1024:.0f} MB"
        )
        for kind in ("CSV", "XLSX"):
            if kind == "CSV":
                rows = _rows_for(target, lambda p, n: _write_csv(p, n, notes=False), folder, ".csv")
                path = folder / "customers.csv"
                _write_csv(path, rows, notes=False)
                same_rows = path
            else:
                rows = _rows_for(target, _write_xlsx, folder, ".xlsx")
                path = folder / "customers.xlsx"
                _write_xlsx(path, rows)
                same_rows = folder / "same-rows.csv"
                _write_csv(same_rows, rows, notes=True)
            size_mb = path.stat().st_size / (1024 * 1024)
            copy_seconds = _bare_copy_seconds(same_rows)
            Customer.objects.filter(department=department).delete()
            outcome = _child_import(path, media=directory)
            stdout.write(
                f"  {kind} of {size_mb:.1f} MB, {rows:,} rows: {outcome['seconds']:.1f} s, "
                f"peak RSS {outcome['vmhwm_kb'] / 1024:.0f} MB; bare COPY {copy_seconds:.2f} s"
            )
            if outcome["status"] != "done" or outcome["accounted"] != rows or outcome["rejected"]:
                raise AssertionError(f"the {kind} import did not import every row: {outcome}")
            figures += [
                Figure(
                    f"peak RSS of the process importing a {size_mb:.0f} MB {kind} "
                    f"({rows:,} customers)",
                    outcome["vmhwm_kb"] / 1024,
                    "MB",
                    baseline_name="the same process with Django set up, nothing imported",
                    baseline_value=floor["vmhwm_kb"] / 1024,
                    goal="bounded: not growing with the file",
                ),
                Figure(
                    f"time to import the {size_mb:.0f} MB {kind}",
                    outcome["seconds"],
                    "s",
                    baseline_name="COPY of the same rows (as CSV) into a plain table",
                    baseline_value=copy_seconds,
                ),
            ]
        Customer.objects.filter(department=department).delete()
        figures += _order_import_memory(target, department, folder, stdout, floor=floor)
        with order_summaries_batched():
            Order.objects.filter(customer__department=department).delete()
        Customer.objects.filter(department=department).delete()
    return figures


def _order_import_memory(
    target: int, department, folder: Path, stdout, *, floor: dict
) -> list[Figure]:
    from customers.models import Customer, Order
    from customers.services.order_summaries import order_summaries_batched

    Customer.objects.bulk_create(
        Customer(
            name=f"订单客户{number}", mobile=f"+86{_order_mobile(number)}", department=department
        )
        for number in range(ORDER_CUSTOMERS)
    )
    orders = _rows_for(target, _write_order_csv, folder, ".csv")
    path = folder / "orders.csv"
    _write_order_csv(path, orders)
    rows = orders * ORDER_LINES
    size_mb = path.stat().st_size / (1024 * 1024)
    copy_seconds = _bare_copy_seconds(path, len(ORDER_HEADER))
    with order_summaries_batched():
        Order.objects.filter(customer__department=department).delete()
    outcome = _child_import(path, media=str(folder), kind="orders")
    stdout.write(
        f"  order CSV of {size_mb:.1f} MB, {rows:,} lines of {orders:,} orders: "
        f"{outcome['seconds']:.1f} s, peak RSS {outcome['vmhwm_kb'] / 1024:.0f} MB; "
        f"bare COPY {copy_seconds:.2f} s"
    )
    if outcome["status"] != "done" or outcome["accounted"] != rows or outcome["rejected"]:
        raise AssertionError(f"the order import did not import every line: {outcome}")
    return [
        Figure(
            f"peak RSS of the process importing a {size_mb:.0f} MB order CSV "
            f"({rows:,} lines of {orders:,} orders, spread over the file)",
            outcome["vmhwm_kb"] / 1024,
            "MB",
            baseline_name="the same process with Django set up, nothing imported",
            baseline_value=floor["vmhwm_kb"] / 1024,
            goal="bounded: not growing with the file",
        ),
        Figure(
            f"time to import the {size_mb:.0f} MB order CSV",
            outcome["seconds"],
            "s",
            baseline_name="COPY of the same rows into a plain table",
            baseline_value=copy_seconds,
        ),
    ]
