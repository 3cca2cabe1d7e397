"""The loyalty tasks: their beat schedules come with the migrations, each is registered
under its name, and an order import queues the accrual like the order form does."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from carecrm.celery import app
from customers.tests.import_files import csv_bytes, run_import
from loyalty.models import EntryKind, PointsEntry
from loyalty.selectors.points import account_balance
from loyalty.tasks import accrue_orders, expire_points
from loyalty.tests.factories import PurchaseFactory, assert_balanced

pytestmark = pytest.mark.django_db
TASKS = {
    "loyalty.accrue_orders": ("*/10", "*"),
    "loyalty.expire_points": ("30", "1"),
    "loyalty.grant_referral_bonuses": ("30", "3"),
    "loyalty.grant_birthday_bonuses": ("0", "8"),
}


def test_the_beat_schedules_exist_in_china_time_and_the_tasks_are_registered():
    app.loader.import_default_modules()
    for name, (minute, hour) in TASKS.items():
        task = PeriodicTask.objects.get(task=name)
        assert (task.crontab.minute, task.crontab.hour) == (minute, hour)
        assert str(task.crontab.timezone) == "Asia/Shanghai" and task.enabled
        assert name in app.tasks


def test_the_tasks_run_their_services(silver):
    PurchaseFactory(customer=silver, amount=Decimal("300"))
    assert accrue_orders() == {"earned": 1, "reversed": 0, "corrected": 0, "points": 36}
    assert expire_points() == {"customers": 0}


def test_an_order_import_earns_points(
    staff_a, silver, eager_celery, django_capture_on_commit_callbacks
):
    day = timezone.localdate() - dt.timedelta(days=20)
    rows = [
        ["订单号", "客户手机", "下单时间", "金额"],
        ["IMP-0001", silver.mobile, f"{day} 10:00", "500.00"],
        ["IMP-0002", silver.mobile, f"{day + dt.timedelta(days=1)} 10:00", "-100.00"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(staff_a, csv_bytes(rows), name="orders.csv", kind="orders")
    assert result.created == 2
    kinds = dict(PointsEntry.objects.filter(customer=silver).values_list("kind", "points"))
    assert kinds == {EntryKind.EARN: 60, EntryKind.REVERSAL: -12}
    assert account_balance(silver) == 48
    assert_balanced()
