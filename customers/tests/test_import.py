"""Importing customers: every row accounted for, idempotent re-imports, update vs skip,
department scope, dry runs, consents, the rejected-rows report and resuming a job."""

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from openpyxl import Workbook

from carecrm.core.models import AuditEntry
from customers.models import (
    ChannelConsent,
    ConsentMethod,
    Customer,
    ImportJob,
    ImportStatus,
    Source,
    Tag,
)
from customers.services import importing
from customers.services.importing import import_job_create, import_job_run
from customers.tests.factories import CustomerFactory
from customers.tests.import_files import csv_bytes, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


# --- the messy file -------------------------------------------------------------------------

HEADER = ["姓名", "手机号", "邮箱", "生日", "性别", "城市", "注册日期", "标签", "同意短信"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞"


@dataclass
class MessyFile:
    rows: list[list] = field(default_factory=list)
    outcome: dict[int, str] = field(default_factory=dict)  # row number -> created/updated/…
    reason: dict[int, str] = field(default_factory=dict)  # row number -> expected reason part
    formula_names: list[str] = field(default_factory=list)

    def add(self, cells: list, outcome: str, reason: str = "") -> None:
        self.rows.append(cells)
        number = len(self.rows) + 1  # the header is row 1
        self.outcome[number] = outcome
        if reason:
            self.reason[number] = reason

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcome.values() if value == outcome)

    def content(self, encoding="gbk") -> bytes:
        return csv_bytes([HEADER, *self.rows], encoding=encoding)


def _date(rng: random.Random, day: dt.date) -> str:
    """The same date in one of three formats people use."""
    return rng.choice(
        [day.isoformat(), f"{day.year}/{day.month}/{day.day}", day.strftime("%Y%m%d")]
    )


def build_messy_file(seed: int, *, same: list, changed: list, foreign: list) -> MessyFile:
    """1,000 rows: good ones, bad phones, formulas, blank names, impossible dates, repeats,
    conflicting repeats, and rows matching customers of this and another department."""
    rng = random.Random(seed)
    file = MessyFile()
    good: list[list] = []
    same, changed, foreign = list(same), list(changed), list(foreign)
    categories = [
        ("new", 40), ("duplicate", 8), ("conflict", 3), ("bad_phone", 6), ("formula_phone", 4),
        ("blank_name", 5), ("bad_date", 4), ("bad_email", 3), ("formula_name", 3),
        ("email_only", 5), ("same", 5), ("changed", 5), ("foreign", 4), ("bad_gender", 2),
    ]  # fmt: skip
    names, weights = zip(*categories, strict=True)
    for index in range(1000):
        category = rng.choices(names, weights)[0]
        if category in ("duplicate", "conflict") and not good:
            category = "new"
        pools = {"same": same, "changed": changed, "foreign": foreign}
        if category in pools and not pools[category]:
            category = "new"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
        birthday = dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        registered = dt.date(2023, rng.randint(1, 12), rng.randint(1, 28))
        mobile = f"136{index:08d}"  # factories use 139…
        cells = [
            name,
            rng.choice([mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"+86{mobile}"]),
            rng.choice(["", f"user{index}@Example.cn"]),
            _date(rng, birthday),
            rng.choice(["男", "女", "M", "F", ""]),
            rng.choice(["上海市", "杭州市", "广州市", ""]),
            _date(rng, registered),
            rng.choice(["", "VIP", "咖啡,新客"]),
            rng.choice(["是", "否", ""]),
        ]
        if category == "new":
            file.add(cells, "created")
            good.append((len(file.rows) + 1, cells))
        elif category == "duplicate":
            number, original = rng.choice(good)
            file.add(list(original), "skipped")
        elif category == "conflict":
            number, original = rng.choice(good)
            conflicting = list(original)
            conflicting[0] = original[0] + "二"
            file.add(conflicting, "rejected", f"as row {number} but different details")
        elif category == "bad_phone":
            cells[1] = rng.choice(["1381234", "12812345678", "138123456789", "电话未知"])
            file.add(cells, "rejected", "Mobile phone")
        elif category == "formula_phone":
            cells[1] = rng.choice(["=1+13812345678", "@SUM(A1:A9)", "-13812345678", "\t=2*3"])
            file.add(cells, "rejected", "not a phone number")
        elif category == "blank_name":
            cells[0] = rng.choice(["", "   "])
            file.add(cells, "rejected", "Name is missing")
        elif category == "bad_date":
            cells[3] = rng.choice(["2023-02-30", "2023/2/29", "20231301", "1990年13月1日"])
            file.add(cells, "rejected", "not a real date")
        elif category == "bad_email":
            cells[1], cells[2] = "", rng.choice(["zhang@", "li@@example.cn", "wang.example.cn"])
            file.add(cells, "rejected", "Email is not a valid address")
        elif category == "bad_gender":
            cells[4] = "未填写"
            file.add(cells, "rejected", "Gender")
        elif category == "formula_name":
            cells[0] = f'=HYPERLINK("http://evil.example/{index}","点我")'
            file.formula_names.append(cells[0])
            file.add(cells, "created")
            good.append((len(file.rows) + 1, cells))
        elif category == "email_only":
            cells[1], cells[2] = "", f"only{index}@example.cn"
            file.add(cells, "created")
            good.append((len(file.rows) + 1, cells))
        else:
            customer = pools[category].pop()
            cells = [
                customer.name,
                customer.mobile[3:],
                customer.email,
                _date(rng, customer.birthday),
                "",
                "上海市" if category != "changed" else "杭州市",
                _date(rng, customer.registered_on),
                "",
                "",
            ]
            if category == "foreign":
                file.add(cells, "rejected", "department you cannot see")
            else:
                file.add(cells, "updated" if category == "changed" else "skipped")
    return file


@pytest.fixture
def messy(department_a, department_b):
    same = CustomerFactory.create_batch(30, department=department_a, city="上海市")
    changed = CustomerFactory.create_batch(30, department=department_a, city="上海市")
    foreign = CustomerFactory.create_batch(20, department=department_b, city="上海市")
    return build_messy_file(20240105, same=same, changed=changed, foreign=foreign)


def test_messy_file_accounts_for_every_row_with_a_reason_for_each_rejection(staff_a, messy):
    before = Customer.objects.count()

    result = run_import(staff_a, messy.content(encoding="gbk"))

    assert result.status == ImportStatus.DONE
    assert result.total == 1000
    assert result.created + result.updated + result.skipped + result.rejected == 1000
    assert (result.created, result.updated, result.skipped, result.rejected) == (
        messy.count("created"),
        messy.count("updated"),
        messy.count("skipped"),
        messy.count("rejected"),
    )
    assert messy.count("rejected") > 100 and messy.count("updated") > 0  # the file is messy
    rejections = {r.row_number: r.reason for r in ImportJob.objects.get().rejections.all()}
    assert set(rejections) == {n for n, outcome in messy.outcome.items() if outcome == "rejected"}
    for number, reason in rejections.items():
        assert messy.reason[number] in reason, (number, reason)
    assert Customer.objects.count() == before + messy.count("created")


def test_messy_file_stores_clean_values(staff_a, department_b, messy):
    foreign_before = list(
        Customer.objects.filter(department=department_b).values_list("name", "city", "updated_at")
    )

    run_import(staff_a, messy.content(encoding="gbk"))

    created = Customer.objects.filter(source=Source.IMPORT)
    assert created.exists()
    assert not created.exclude(mobile="").exclude(mobile__regex=r"^\+86136\d{8}$").exists()
    assert not created.exclude(email="").filter(email__regex=r"[A-Z]").exists()
    for customer in created.exclude(mobile="")[:50]:
        assert customer.mobile_last4 == customer.mobile[-4:]
    for customer in created.exclude(birthday=None)[:50]:
        assert customer.birth_month == customer.birthday.month
    # a formula in a name cell is kept as the literal text, never evaluated
    assert set(created.filter(name__startswith="=HYPERLINK").values_list("name", flat=True)) == set(
        messy.formula_names
    )
    assert (
        list(
            Customer.objects.filter(department=department_b).values_list(
                "name", "city", "updated_at"
            )
        )
        == foreign_before
    )


def _snapshot():
    return (
        sorted(Customer.objects.values_list()),
        sorted(ChannelConsent.objects.values_list()),
        sorted(Customer.tags.through.objects.values_list("customer_id", "tag_id")),
    )


def test_second_import_of_same_file_changes_nothing(staff_a, messy):
    content = messy.content(encoding="gbk")
    first = run_import(staff_a, content)
    before = _snapshot()
    audit_before = AuditEntry.objects.count()

    second = run_import(staff_a, content)

    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before
    assert (second.created, second.updated) == (0, 0)
    assert second.rejected == first.rejected
    assert second.skipped == 1000 - first.rejected
    assert second.skipped_reasons["unchanged"] == first.created + first.updated + messy.count(
        "skipped"
    ) - first.skipped_reasons.get("duplicate_in_file", 0)


def test_xlsx_with_numbers_dates_and_formula_cells(staff_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户姓名", "手机", "出生日期", "注册时间", "备注"])
    sheet.append(["张三", 13812345678, dt.datetime(1990, 3, 5), 45296, "=1+1"])
    sheet.append(["李四", "=13912345678", dt.datetime(1991, 4, 6), "2024/1/5", ""])
    sheet.append(["王五", "+86 137 1234 5678", "1992年5月7日", dt.datetime(2024, 1, 5), None])
    sheet.append([None, None, None, None, None])  # blank rows are not data rows
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = run_import(staff_a, buffer.getvalue(), name="customers.xlsx")

    assert (result.created, result.rejected, result.total) == (2, 1, 3)
    zhang = Customer.objects.get(mobile="+8613812345678")
    assert zhang.birthday == dt.date(1990, 3, 5)
    assert zhang.registered_on == dt.date(2024, 1, 5)
    assert zhang.notes == "=1+1"
    assert Customer.objects.get(mobile="+8613712345678").birthday == dt.date(1992, 5, 7)
    rejection = ImportJob.objects.get().rejections.get()
    assert rejection.row_number == 3
    assert "not a phone number" in rejection.reason


def test_update_mode_fills_and_overwrites_imported_fields_only(staff_a, department_a):
    customer = CustomerFactory(
        department=department_a,
        mobile="+8613812345678",
        name="张三",
        city="上海市",
        industry="零售",
        notes="老客户",
    )
    content = csv_bytes(
        [["姓名", "手机", "城市", "行业", "备注"], ["张三丰", "13812345678", "杭州市", "", ""]]
    )

    result = run_import(staff_a, content)

    customer.refresh_from_db()
    assert (result.updated, result.created) == (1, 0)
    assert (customer.name, customer.city) == ("张三丰", "杭州市")
    assert (customer.industry, customer.notes) == ("零售", "老客户")  # empty cells erase nothing
    assert AuditEntry.objects.filter(customer_id=customer.pk, action="import").count() == 1


def test_a_customer_is_matched_by_email_when_the_mobile_is_new(staff_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="", email="li@example.cn")
    content = csv_bytes([["姓名", "手机", "邮箱"], ["李四", "13912345678", "LI@example.cn"]])

    result = run_import(staff_a, content)

    customer.refresh_from_db()
    assert (result.updated, result.created) == (1, 0)
    assert customer.mobile == "+8613912345678"
    assert customer.mobile_last4 == "5678"


def test_skip_mode_leaves_existing_customers_alone(staff_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678", city="上海市")
    content = csv_bytes(
        [
            ["姓名", "手机", "城市"],
            ["张三", "13812345678", "杭州市"],
            ["李四", "13912345678", "杭州市"],
        ]
    )

    result = run_import(staff_a, content, existing_mode="skip")

    customer.refresh_from_db()
    assert customer.city == "上海市"
    assert (result.created, result.skipped, result.skipped_reasons) == (1, 1, {"existing": 1})


def test_staff_cannot_import_into_another_department(staff_a, department_b):
    content = csv_bytes([["姓名", "手机"], ["张三", "13812345678"]])

    with pytest.raises(ValidationError) as error:
        run_import(staff_a, content, department=department_b)

    assert "department" in error.value.message_dict
    assert not ImportJob.objects.exists()
    assert not Customer.objects.exists()


def test_staff_cannot_update_another_departments_customer(staff_a, department_b):
    theirs = CustomerFactory(department=department_b, mobile="+8613812345678", name="张三")
    content = csv_bytes([["姓名", "手机", "城市"], ["张三改名", "13812345678", "杭州市"]])

    result = run_import(staff_a, content)

    theirs.refresh_from_db()
    assert theirs.name == "张三"
    assert (result.rejected, result.created) == (1, 0)
    reason = ImportJob.objects.get().rejections.get().reason
    assert "department you cannot see" in reason


def test_admin_imports_into_the_chosen_department(admin_user, department_b):
    content = csv_bytes([["姓名", "手机"], ["张三", "13812345678"]])

    run_import(admin_user, content, department=department_b)

    assert Customer.objects.get().department == department_b


def test_an_admin_must_choose_a_department(admin_user, department_a, department_b):
    with pytest.raises(ValidationError, match="Choose the department"):
        run_import(admin_user, csv_bytes([["姓名", "手机"], ["张三", "13812345678"]]))


def test_dry_run_writes_nothing_but_counts_and_previews(staff_a, department_a):
    CustomerFactory(department=department_a, mobile="+8613812345678", city="上海市")
    content = csv_bytes(
        [
            ["姓名", "手机", "城市", "标签", "同意短信"],
            ["张三", "13812345678", "杭州市", "VIP", "是"],
            ["李四", "13912345678", "杭州市", "VIP", "是"],
            ["", "13712345678", "", "", ""],
        ]
    )
    snapshot, audits = _snapshot(), AuditEntry.objects.count()

    result = run_import(staff_a, content, dry_run=True)

    assert _snapshot() == snapshot
    assert AuditEntry.objects.count() == audits
    assert not Tag.objects.exists()
    assert (result.created, result.updated, result.rejected) == (1, 1, 1)
    assert [(row["row"], row["action"]) for row in result.preview] == [(2, "update"), (3, "create")]
    assert result.preview[1]["values"] == {
        "name": "李四",
        "mobile": "+8613912345678",
        "city": "杭州市",
        "tags": "VIP",
        "consent_sms": True,
    }
    assert ImportJob.objects.get().error_report  # the rejected rows can be fixed first


def test_consent_columns_become_channel_consents_recorded_as_imported(staff_a):
    content = csv_bytes(
        [
            ["姓名", "手机", "邮箱", "同意短信", "同意邮件"],
            ["张三", "13812345678", "zhang@example.cn", "是", "否"],
            ["李四", "13912345678", "", "", "Y"],
        ]
    )

    run_import(staff_a, content)

    consents = set(
        ChannelConsent.objects.values_list("customer__name", "channel", "granted", "method")
    )
    assert consents == {
        ("张三", "sms", True, ConsentMethod.IMPORT),
        ("张三", "email", False, ConsentMethod.IMPORT),
        ("李四", "email", True, ConsentMethod.IMPORT),
    }
    assert ChannelConsent.objects.filter(recorded_by=staff_a).count() == 3


def test_a_withdrawn_consent_in_the_file_updates_the_customer(staff_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    ChannelConsent.objects.create(
        customer=customer,
        channel="sms",
        granted=True,
        changed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        method=ConsentMethod.FORM,
    )

    result = run_import(
        staff_a, csv_bytes([["姓名", "手机", "同意短信"], [customer.name, "13812345678", "否"]])
    )

    consent = ChannelConsent.objects.get(customer=customer, channel="sms")
    assert result.updated == 1
    assert (consent.granted, consent.method) == (False, ConsentMethod.IMPORT)


def test_tags_are_added_never_removed(staff_a, department_a):
    customer = CustomerFactory(department=department_a, mobile="+8613812345678")
    customer.tags.add(Tag.objects.create(name="老客户"))

    run_import(
        staff_a, csv_bytes([["姓名", "手机", "标签"], [customer.name, "13812345678", "VIP；咖啡"]])
    )

    assert set(customer.tags.values_list("name", flat=True)) == {"老客户", "VIP", "咖啡"}


def test_repeats_in_the_file_identical_are_skipped_conflicting_are_rejected(staff_a):
    content = csv_bytes(
        [
            ["姓名", "手机", "邮箱"],
            ["张三", "13812345678", "zhang@example.cn"],
            ["张三", "138 1234 5678", "ZHANG@example.cn"],
            ["张三丰", "13812345678", ""],
            ["李四", "", "zhang@example.cn"],
        ]
    )

    result = run_import(staff_a, content)

    assert (result.created, result.skipped, result.rejected) == (1, 1, 2)
    reasons = dict(ImportJob.objects.get().rejections.values_list("row_number", "reason"))
    assert "Same mobile phone as row 2" in reasons[4]
    assert "Same email as row 2" in reasons[5]


def test_rows_with_control_characters_in_name_or_email_are_rejected_with_the_reason(staff_a):
    content = csv_bytes(
        [
            ["姓名", "手机", "邮箱"],
            ["张三", "13812345678", "zhang@example.cn"],
            ["李\r\n四", "13812345679", ""],
            ["王五", "", '"wang\x07"@example.cn'],
        ]
    )

    result = run_import(staff_a, content)

    assert (result.created, result.rejected) == (1, 2)
    reasons = dict(ImportJob.objects.get().rejections.values_list("row_number", "reason"))
    assert reasons[3] == "Name contains a line break, which cannot be used in emails; remove it"
    assert reasons[4] == (
        "Email contains the control character U+0007, which cannot be used in emails; remove it"
    )
    assert list(Customer.objects.values_list("name", flat=True)) == ["张三"]


def test_an_email_shared_by_several_customers_is_rejected_as_ambiguous(staff_a, department_a):
    CustomerFactory.create_batch(2, department=department_a, email="family@example.cn")

    result = run_import(staff_a, csv_bytes([["姓名", "邮箱"], ["王五", "family@example.cn"]]))

    assert result.rejected == 1
    assert "belongs to 2 customers" in ImportJob.objects.get().rejections.get().reason


def test_a_file_without_a_name_column_is_refused_before_any_row(staff_a):
    with pytest.raises(ValidationError) as error:
        run_import(staff_a, csv_bytes([["手机", "城市"], ["13812345678", "上海市"]]))

    assert "Name" in " ".join(error.value.message_dict["mapping"])


def test_a_mapping_reads_unrecognised_headers(staff_a):
    content = csv_bytes([["客户", "联系号码", "单位"], ["张三", "13812345678", "某公司"]])

    run_import(staff_a, content, mapping={"联系号码": "mobile", "单位": "notes"})

    assert Customer.objects.filter(mobile="+8613812345678", notes="某公司").exists()


def test_rejected_rows_report_is_excel_ready_and_neutralised(staff_a):
    content = csv_bytes(
        [
            ["姓名", "手机", "备注"],
            ["=cmd|' /C calc'!A0", "=1+1", "@SUM(A1)"],
            ["", "13812345678", "-5"],
            ["李四", "13912345678", ""],
        ]
    )

    result = run_import(staff_a, content)

    job = ImportJob.objects.get()
    data = job.error_report.read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机", "备注", "reason", "row"]
    assert rows[1][:3] == ["'=cmd|' /C calc'!A0", "'=1+1", "'@SUM(A1)"]
    assert "not a phone number" in rows[1][3] and rows[1][4] == "2"
    assert rows[2][:3] == ["", "13812345678", "'-5"]
    assert rows[2][3] == "Name is missing"
    assert len(rows) == 1 + result.rejected


def test_the_fixed_rejected_rows_report_can_be_imported_again(staff_a):
    run_import(
        staff_a, csv_bytes([["姓名", "手机"], ["张三", "+86 138 1234 5678"], ["", "13912345678"]])
    )
    report = ImportJob.objects.get().error_report.read().decode("utf-8-sig")
    fixed = report.replace("\r\n,", "\r\n李四,", 1).encode("utf-8-sig")

    result = run_import(staff_a, fixed, name="fixed.csv")

    assert (result.created, result.rejected) == (1, 0)
    assert Customer.objects.filter(name="李四", mobile="+8613912345678").exists()


class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-job (nothing gets to catch it)."""


def test_a_job_resumed_after_a_crash_imports_each_row_once(staff_a, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 10)
    rows = [["姓名", "手机"]] + [[f"客户{n}", f"139{n:08d}"] for n in range(35)]
    job = import_job_create(
        user=staff_a, file=ContentFile(csv_bytes(rows), name="c.csv"), kind="customers", queue=False
    )
    commit_chunk = importing._commit_chunk
    calls = []

    def dies_on_third_chunk(*args, **kwargs):
        calls.append(kwargs["start"])
        if len(calls) == 3:
            raise WorkerKilled
        return commit_chunk(*args, **kwargs)

    monkeypatch.setattr(importing, "_commit_chunk", dies_on_third_chunk)
    with pytest.raises(WorkerKilled):
        import_job_run(job=job)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_count) == (ImportStatus.RUNNING, 20, 20)
    assert Customer.objects.count() == 20

    monkeypatch.setattr(importing, "_commit_chunk", commit_chunk)
    result = import_job_run(job=job)  # the task delivered again

    assert (result.status, result.total, result.created) == (ImportStatus.DONE, 35, 35)
    assert Customer.objects.count() == 35


def test_a_finished_job_is_not_run_again(staff_a):
    job = import_job_create(
        user=staff_a,
        file=ContentFile(csv_bytes([["姓名", "手机"], ["张三", "13812345678"]]), name="c.csv"),
        kind="customers",
        queue=False,
    )
    import_job_run(job=job)
    Customer.objects.all().delete()

    result = import_job_run(job=job)

    assert result.created == 1
    assert not Customer.objects.exists()


def test_an_unreadable_file_is_refused(staff_a):
    with pytest.raises(ValidationError) as error:
        run_import(staff_a, b"\x00\xff\xfe\x81binary", name="x.csv")
    assert "file" in error.value.message_dict


def test_a_saved_preset_maps_the_columns_of_later_files(staff_a, department_a):
    from customers.services.importing import import_preset_save

    preset = import_preset_save(
        user=staff_a,
        name="门店系统",
        kind="customers",
        mapping={"会员名": "name", "会员电话": "mobile", "积分": ""},
        department=department_a,
    )
    content = csv_bytes([["会员名", "会员电话", "积分"], ["张三", "13812345678", "120"]])

    result = run_import(staff_a, content, preset=preset)

    assert result.created == 1
    assert Customer.objects.filter(name="张三", mobile="+8613812345678").exists()
    assert preset.mapping == {"会员名": "name", "会员电话": "mobile"}


def test_the_import_task_runs_a_job_once_however_often_it_is_delivered(staff_a):
    from carecrm.celery import app
    from customers.tasks import import_run

    job = import_job_create(
        user=staff_a,
        file=ContentFile(csv_bytes([["姓名", "手机"], ["张三", "13812345678"]]), name="c.csv"),
        kind="customers",
        queue=False,
    )

    first = import_run(job.pk)
    Customer.objects.all().delete()
    second = import_run(job.pk)

    assert "customers.import_run" in app.tasks
    assert (
        first
        == second
        == {
            "job": job.pk,
            "status": "done",
            "created": 1,
            "updated": 0,
            "skipped": 0,
            "rejected": 0,
        }
    )
    assert not Customer.objects.exists()
    assert import_run(999999) == {"job": 999999, "status": "missing"}


def test_repeating_an_import_whose_file_is_gone_says_so(staff_a, department_a):
    """Found by the role matrix: a job without its file answered 500 on "import again"."""
    job = ImportJob.objects.create(
        kind="customers",
        original_name="gone.csv",
        department=department_a,
        created_by=staff_a,
        status=ImportStatus.DONE,
    )
    with pytest.raises(ValidationError, match="no longer stored"):
        importing.import_job_repeat(job=job, user=staff_a)
    assert ImportJob.objects.count() == 1
