"""Benchmarks of the customers app (run by ``python manage.py bench customers``)."""

import csv
import random
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings

from carecrm.core.bench import Figure, Stopwatch

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


def _bare_copy_seconds(path: Path) -> float:
    """PostgreSQL's own COPY of the file into a plain table of text columns (autocommit,
    so the commit is timed too, as it is for the import)."""
    columns = ", ".join(f"c{index} text" for index in range(len(IMPORT_HEADER)))
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
