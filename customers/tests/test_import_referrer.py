"""The customer import's referrer column (推荐人): a referrer named by mobile phone or
customer ID — on record, or added by an earlier row of the file — is recorded; an unknown
or invisible referrer, oneself, a second referrer and a circle are rejected with the
reason. The same rules hold on PostgreSQL (COPY writer) and SQLite, and in a dry run."""

import datetime as dt

import pytest

from customers.models import Customer, ImportJob
from customers.services.importing_fields import recognise
from customers.services.importing_values import CellError, clean_referrer
from customers.tests.factories import CustomerFactory
from customers.tests.import_files import csv_bytes, run_import

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "手机号", "注册日期", "推荐人"]


def rejections() -> dict[int, str]:
    return dict(
        ImportJob.objects.order_by("-pk").first().rejections.values_list("row_number", "reason")
    )


def referrer_of(mobile: str) -> Customer | None:
    return Customer.objects.get(mobile=mobile).referred_by


def test_the_column_is_recognised_and_cleaned():
    assert recognise("推荐人手机号", "customers") == "referrer"
    assert recognise("Referrer ID", "customers") == "referrer"
    assert clean_referrer("138 0013 8000", label="推荐人") == "+8613800138000"
    assert clean_referrer("1024", label="推荐人") == 1024
    assert clean_referrer("ID: 77", label="推荐人") == 77
    with pytest.raises(CellError, match="neither a mobile phone nor a customer ID"):
        clean_referrer("张三", label="推荐人")


def test_referrers_by_mobile_id_and_earlier_row_are_recorded(staff_a, department_a):
    known = CustomerFactory(department=department_a, name="老客户", mobile="+8613900000001")
    rows = [
        ["新客一", "13800000011", "2025-03-01", "13900000001"],  # by mobile, on record
        ["新客二", "13800000012", "", str(known.pk)],  # by customer ID
        ["新客三", "13800000013", "", "13800000011"],  # by an earlier row of the file
        ["新客四", "13800000014", "", ""],  # no referrer
    ]
    result = run_import(staff_a, csv_bytes([HEADER, *rows]))
    assert (result.created, result.rejected) == (4, 0)
    assert referrer_of("+8613800000011") == known
    assert referrer_of("+8613800000012") == known
    assert referrer_of("+8613800000013") == Customer.objects.get(mobile="+8613800000011")
    assert referrer_of("+8613800000014") is None
    first = Customer.objects.get(mobile="+8613800000011")
    assert first.referred_at.date() == dt.date(2025, 3, 1)


def test_unknown_invisible_and_self_referrers_are_rejected_with_the_reason(
    staff_a, department_a, department_b
):
    foreign = CustomerFactory(department=department_b, mobile="+8613900000009")
    rows = [
        ["甲", "13800000021", "", "13900000404"],  # nobody has it
        ["乙", "13800000022", "", "13900000009"],  # another department's customer
        ["丙", "13800000023", "", str(foreign.pk)],  # the same, by ID
        ["丁", "13800000024", "", "13800000024"],  # oneself
        ["戊", "13800000025", "", "13800000026"],  # a row further down the file
        ["己", "13800000026", "", ""],
    ]
    result = run_import(staff_a, csv_bytes([HEADER, *rows]))
    assert (result.created, result.rejected) == (1, 5)
    reasons = rejections()
    assert (
        "Unknown referrer: no customer you can see has the mobile phone +8613900000404"
        in reasons[2]
    )
    assert "no customer you can see has the mobile phone +8613900000009" in reasons[3]
    assert f"no customer you can see has the customer ID {foreign.pk}" in reasons[4]
    assert "cannot be their own referrer" in reasons[5]
    assert "no earlier row of the file adds one" in reasons[6]
    assert ImportJob.objects.get().error_report  # the rejected rows can be downloaded


def test_an_existing_customer_keeps_its_referrer_and_no_circle_is_made(staff_a, department_a):
    top = CustomerFactory(department=department_a, name="甲", mobile="+8613900000101")
    middle = CustomerFactory(
        department=department_a, name="乙", mobile="+8613900000102", referred_by=top
    )
    bottom = CustomerFactory(
        department=department_a, name="丙", mobile="+8613900000103", referred_by=middle
    )
    other = CustomerFactory(department=department_a, name="丁", mobile="+8613900000104")
    rows = [
        ["甲", "13900000101", "", "13900000103"],  # 丙 was referred by 乙, referred by 甲
        ["丙", "13900000103", "", "13900000104"],  # 丙 already has a referrer
        ["乙", "13900000102", "", "13900000101"],  # the same referrer: nothing to change
        ["丁", "13900000104", "", "13900000101"],  # no referrer yet: recorded
    ]
    result = run_import(staff_a, csv_bytes([HEADER, *rows]))
    reasons = rejections()
    assert "cannot go round in a circle" in reasons[2]
    assert f"Already referred by customer {middle.pk}" in reasons[3]
    assert (result.updated, result.skipped_reasons, result.rejected) == (1, {"unchanged": 1}, 2)
    top.refresh_from_db()
    bottom.refresh_from_db()
    assert top.referred_by is None and bottom.referred_by == middle
    assert referrer_of("+8613900000104") == top
    other.refresh_from_db()
    assert other.referred_by == top


def test_a_dry_run_judges_the_same_and_writes_nothing(staff_a, department_a):
    rows = [
        ["新客一", "13800000031", "", ""],
        ["新客二", "13800000032", "", "13800000031"],
        ["新客三", "13800000033", "", "13800000404"],
    ]
    result = run_import(staff_a, csv_bytes([HEADER, *rows]), dry_run=True)
    assert (result.created, result.rejected) == (2, 1)
    assert not Customer.objects.filter(mobile__startswith="+86138000000").exists()
