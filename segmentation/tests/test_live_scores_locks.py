"""A live re-score and a merge of the same customer cannot deadlock: the re-score locks
the customers before it takes their summaries, the order a merge follows (customer, then
summary). Two real PostgreSQL connections, one per thread."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from customers.models import Customer, CustomerOrderSummary, Order
from customers.services.order_summaries import order_summaries_refresh
from customers.tests.factories import CustomerFactory
from segmentation.services.scoring import scoring_live, scoring_run
from segmentation.tests.test_scoring import make_policy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time: there is no lock order to get wrong")


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def test_a_live_rescore_waits_for_a_merge_before_it_holds_any_summary(department_a):
    now = timezone.now()
    survivor, duplicate = (
        CustomerFactory(department=department_a, name=name) for name in ("王芳", "王芳 (重复)")
    )
    for n, customer in enumerate((survivor, duplicate)):
        Order.objects.create(
            customer=customer,
            order_no=f"L{n}",
            ordered_at=now - dt.timedelta(days=3),
            amount=Decimal("880"),
        )
    order_summaries_refresh([survivor.pk, duplicate.pk])
    scoring_run(policy=make_policy(), as_of=now)
    scoring_live(as_of=now)  # takes the marks the orders above left
    Order.objects.create(
        customer=survivor, order_no="L-new", ordered_at=now, amount=Decimal("1280")
    )
    order_summaries_refresh([survivor.pk])  # the new order's mark: the next live re-score

    merge_holds_the_pair = threading.Event()
    rescore_waits = threading.Event()
    seen: dict = {}

    def merge_in_progress() -> None:
        """What ``customer_merge`` does first (the pair locked in id order), then — while
        the re-score waits — what it does later: take the survivor's summary."""
        try:
            with transaction.atomic():
                list(
                    Customer.objects.select_for_update()
                    .filter(pk__in=[survivor.pk, duplicate.pk])
                    .order_by("pk")
                )
                merge_holds_the_pair.set()
                rescore_waits.wait(timeout=30)
                try:
                    list(
                        CustomerOrderSummary.objects.select_for_update(nowait=True).filter(
                            customer_id=survivor.pk
                        )
                    )
                    seen["summary_free"] = True
                except DatabaseError:
                    seen["summary_free"] = False
                    raise
        except DatabaseError:
            pass
        finally:
            connections.close_all()

    def rescore() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                seen["pid"] = cursor.fetchone()[0]
            merge_holds_the_pair.wait(timeout=30)
            seen["result"] = scoring_live(as_of=now)
        finally:
            connections.close_all()

    merge = threading.Thread(target=merge_in_progress)
    live = threading.Thread(target=rescore)
    merge.start()
    live.start()
    deadline = time.monotonic() + 30
    while not ("pid" in seen and _waiting_on_a_lock(seen["pid"])):
        assert time.monotonic() < deadline, "the live re-score never waited for the merge"
        time.sleep(0.05)
    rescore_waits.set()
    merge.join(timeout=30)
    live.join(timeout=30)

    assert seen["summary_free"] is True
    assert seen["result"]["scored"] == 1
