"""Customers imported with a consent basis can be touched: the suppression CASE dispatch
writes into every outbox row (delivery.selectors.suppression) no longer names "no
consent" for the channels the file's basis covers, and still does for the others.

(It lives with delivery's tests because it reads delivery's selector; the customers app
sits below delivery and its tests may not import it.)"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from customers.models import Customer
from customers.services.importing import import_job_create, import_job_run, import_job_start
from customers.services.importing_consent import ConsentBasis
from customers.tests.import_files import csv_bytes
from delivery.models import DeliveryChannel, SuppressionReason
from delivery.selectors.suppression import suppression_reason_sql

pytestmark = pytest.mark.django_db


def _reasons(channel: str) -> dict[str, str | None]:
    """{mobile: why a care message on ``channel`` would be suppressed (None: sent)}."""
    case, case_params, join, join_params = suppression_reason_sql(
        source_id=None, care_kind="birthday", channel=channel, planned_on=dt.date.today(), caps=[]
    )
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.mobile, {case} FROM {table} c {join}",  # noqa: S608
            [*case_params, *join_params],
        )
        return dict(cursor.fetchall())


def _import(user, rows, basis=None) -> None:
    job = import_job_create(
        user=user,
        file=ContentFile(csv_bytes(rows), name="members.csv"),
        kind="customers",
        start=False,
    )
    job = import_job_start(job=job, mapping=job.mapping, user=user, consent_basis=basis)
    import_job_run(job=job)


def test_a_consent_basis_lets_the_first_touch_through(manager_a):
    _import(manager_a, [["姓名", "手机号"], ["王伟", "13800000001"]])
    _import(
        manager_a,
        [
            ["姓名", "手机号", "同意短信"],
            ["李娜", "13800000002", ""],
            ["张敏", "13800000003", "否"],
        ],
        basis=ConsentBasis("注册时同意", dt.date(2026, 3, 1), "门店会员登记表", ("sms",)),
    )

    sms = _reasons(DeliveryChannel.SMS)
    assert sms["+8613800000001"] == SuppressionReason.NO_CONSENT  # imported without a basis
    assert sms["+8613800000002"] is None  # granted on the basis: sent
    assert sms["+8613800000003"] == SuppressionReason.NO_CONSENT  # refused in the file
    # The basis covers SMS only: email stays unconsented.
    assert _reasons(DeliveryChannel.EMAIL)["+8613800000002"] == SuppressionReason.NO_CONSENT
