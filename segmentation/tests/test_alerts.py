import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from segmentation.models import AlertStatus, RiskAlert, RiskRule
from segmentation.services import alerts as alert_service
from segmentation.services.alerts import (
    alert_acknowledge,
    alert_resolve,
    alerts_escalate_overdue,
    alerts_evaluate,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def only(kind: str) -> None:
    RiskRule.objects.exclude(kind=kind).update(enabled=False)


def complainer(department, manager=None):
    customer = CustomerFactory(department=department, relationship_manager=manager)
    for days in (3, 20):
        InteractionFactory(
            customer=customer, kind="complaint", occurred_at=NOW - dt.timedelta(days=days)
        )
    return customer


def test_two_complaints_in_30_days_raise_a_high_alert_due_in_12_hours(department_a, staff_a):
    only("complaints")
    customer = complainer(department_a, staff_a)
    calm = CustomerFactory(department=department_a)
    InteractionFactory(customer=calm, kind="complaint", occurred_at=NOW - dt.timedelta(days=3))
    InteractionFactory(customer=calm, kind="complaint", occurred_at=NOW - dt.timedelta(days=40))

    assert alerts_evaluate(now=NOW) == 1

    alert = RiskAlert.objects.get()
    assert alert.customer == customer
    assert (alert.severity, alert.status, alert.assigned_to) == ("high", "open", staff_a)
    assert alert.due_at == NOW + dt.timedelta(hours=12)
    assert alert.detail == {"complaints": 2}


def test_evaluating_again_creates_no_duplicate_open_alert(department_a, staff_a):
    only("complaints")
    complainer(department_a, staff_a)

    alerts_evaluate(now=NOW)
    assert alerts_evaluate(now=NOW + dt.timedelta(hours=1)) == 0

    assert RiskAlert.objects.count() == 1


def test_a_resolved_alert_lets_a_new_one_be_raised(department_a, staff_a):
    only("complaints")
    complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)
    alert_resolve(alert=RiskAlert.objects.get(), user=staff_a, note="致电道歉并补偿优惠券")

    assert alerts_evaluate(now=NOW + dt.timedelta(hours=1)) == 1
    assert RiskAlert.objects.filter(status=AlertStatus.RESOLVED).count() == 1


def test_without_a_manager_the_alert_goes_to_the_department_manager(department_a, manager_a):
    only("complaints")
    complainer(department_a)

    alerts_evaluate(now=NOW)

    assert RiskAlert.objects.get().assigned_to == manager_a


def test_spend_down_30_percent_against_the_previous_period_raises_a_normal_alert(department_a):
    only("spend_drop")  # defaults: 30 %, 90 days, silver and up, normal
    falling = CustomerFactory(department=department_a, vip_level="silver")
    steady = CustomerFactory(department=department_a, vip_level="silver")
    ordinary = CustomerFactory(department=department_a, vip_level="normal")
    for customer, current in ((falling, "7000"), (steady, "8000"), (ordinary, "0")):
        OrderFactory(
            customer=customer, ordered_at=NOW - dt.timedelta(days=120), amount=Decimal("10000")
        )
        OrderFactory(
            customer=customer, ordered_at=NOW - dt.timedelta(days=30), amount=Decimal(current)
        )

    alerts_evaluate(now=NOW)

    alert = RiskAlert.objects.get()
    assert alert.customer == falling  # exactly 30 % down; steady is 20 % down
    assert alert.severity == "normal"
    assert alert.due_at == NOW + dt.timedelta(hours=24)
    assert alert.detail == {"current": "7000.00", "previous": "10000.00", "drop_percent": "30"}


def test_no_contact_in_60_days_raises_an_alert_for_vips(department_a, staff_a):
    only("no_contact")
    old = NOW - dt.timedelta(days=100)
    forgotten = CustomerFactory(department=department_a, vip_level="gold")
    called = CustomerFactory(department=department_a, vip_level="gold")
    new_vip = CustomerFactory(department=department_a, vip_level="gold")
    Customer.objects.filter(pk__in=[forgotten.pk, called.pk]).update(created_at=old)
    InteractionFactory(
        customer=called, kind="call", outcome="resolved", occurred_at=NOW - dt.timedelta(days=10)
    )

    alerts_evaluate(now=NOW)

    assert list(RiskAlert.objects.values_list("customer_id", flat=True)) == [forgotten.pk]
    assert new_vip.pk  # on record for less than 60 days: not yet


def test_low_survey_rule_waits_for_a_score_source(department_a):
    only("low_survey")
    customer = CustomerFactory(department=department_a, vip_level="gold")

    assert alerts_evaluate(now=NOW) == 0

    source = lambda since: [(customer.pk, Decimal("40"))]  # noqa: E731
    alert_service.register_survey_score_source(source)
    try:
        assert alerts_evaluate(now=NOW) == 1
    finally:
        alert_service.survey_score_sources.remove(source)
    assert RiskAlert.objects.get().detail == {"score": "40"}


def test_an_overdue_open_alert_escalates_to_the_department_manager(
    department_a, staff_a, manager_a
):
    only("complaints")
    complainer(department_a, staff_a)
    acknowledged_customer = complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)
    alert_acknowledge(alert=RiskAlert.objects.get(customer=acknowledged_customer), user=staff_a)

    assert alerts_escalate_overdue(now=NOW + dt.timedelta(hours=11)) == 0
    assert alerts_escalate_overdue(now=NOW + dt.timedelta(hours=13)) == 1
    assert alerts_escalate_overdue(now=NOW + dt.timedelta(hours=14)) == 0  # only once

    escalated = RiskAlert.objects.get(escalated_at__isnull=False)
    assert escalated.escalated_to == manager_a
    assert escalated.assigned_to == staff_a
    assert escalated.status == AlertStatus.OPEN


def test_states_go_open_acknowledged_resolved_with_a_note(department_a, staff_a):
    only("complaints")
    complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)
    alert = RiskAlert.objects.get()

    alert = alert_acknowledge(alert=alert, user=staff_a)
    with pytest.raises(ValidationError):
        alert_acknowledge(alert=alert, user=staff_a)
    with pytest.raises(ValidationError, match="Say what was done"):
        alert_resolve(alert=alert, user=staff_a, note="  ")
    alert = alert_resolve(alert=alert, user=staff_a, note="已上门处理")

    assert (alert.status, alert.resolution_note, alert.resolved_by) == (
        "resolved",
        "已上门处理",
        staff_a,
    )


def test_staff_of_another_department_cannot_handle_the_alert(department_a, staff_a, staff_b):
    only("complaints")
    complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)

    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert=RiskAlert.objects.get(), user=staff_b)


def test_inbox_shows_my_alerts_and_hides_other_departments(
    staff_a_client, staff_b, department_a, staff_a
):
    only("complaints")
    complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)
    alert = RiskAlert.objects.get()
    from django.test import Client

    other = Client()
    other.force_login(staff_b)

    mine = staff_a_client.get("/segments/alerts/")
    assert f'data-alert="{alert.pk}"' in mine.content.decode()
    assert (
        f'data-alert="{alert.pk}"' not in other.get("/segments/alerts/?scope=all").content.decode()
    )
    assert other.get(f"/segments/alerts/{alert.pk}/").status_code == 404


def test_resolving_on_the_page_needs_a_note(staff_a_client, department_a, staff_a):
    only("complaints")
    complainer(department_a, staff_a)
    alerts_evaluate(now=NOW)
    alert = RiskAlert.objects.get()

    refused = staff_a_client.post(f"/segments/alerts/{alert.pk}/resolve/", {"note": ""})
    staff_a_client.post(f"/segments/alerts/{alert.pk}/acknowledge/")
    done = staff_a_client.post(f"/segments/alerts/{alert.pk}/resolve/", {"note": "已解决"})

    assert refused.status_code == 400
    assert done.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("resolved", staff_a)
