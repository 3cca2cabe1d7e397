"""A manager acknowledges or hands over many risk alerts at once from the inbox; alerts
outside the manager's or the assignee's scope are left alone and counted as such."""

from decimal import Decimal

import pytest
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory, InteractionFactory
from segmentation.models import AlertStatus, RiskAlert, RiskRule
from segmentation.services.alerts import (
    alert_resolve,
    alerts_acknowledge_many,
    alerts_assign_many,
    alerts_evaluate,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def complaint_alerts(department, count, manager=None) -> list[RiskAlert]:
    # transactional (browser) tests flush the rules the migration created: bring it back
    RiskRule.objects.update_or_create(
        kind="complaints",
        defaults={
            "enabled": True,
            "threshold": Decimal("2"),
            "period_days": 30,
            "severity": "high",
            "min_level": "normal",
        },
    )
    RiskRule.objects.exclude(kind="complaints").update(enabled=False)
    for _ in range(count):
        customer = CustomerFactory(department=department, relationship_manager=manager)
        for days in (3, 20):
            InteractionFactory(
                customer=customer,
                kind="complaint",
                occurred_at=NOW - timezone.timedelta(days=days),
            )
    alerts_evaluate(now=NOW)
    return list(RiskAlert.objects.filter(customer__department=department).order_by("pk"))


def test_acknowledging_many_changes_only_open_alerts_in_scope(
    department_a, department_b, manager_a, staff_a
):
    mine = complaint_alerts(department_a, 3, staff_a)
    theirs = complaint_alerts(department_b, 1)
    alert_resolve(alert=mine[2], user=manager_a, note="已回电致歉")

    done, skipped = alerts_acknowledge_many(alert_ids=[a.pk for a in mine + theirs], user=manager_a)

    assert (done, skipped) == (2, 2)
    statuses = dict(RiskAlert.objects.values_list("pk", "status"))
    assert statuses[mine[0].pk] == statuses[mine[1].pk] == AlertStatus.ACKNOWLEDGED
    assert statuses[mine[2].pk] == AlertStatus.RESOLVED
    assert statuses[theirs[0].pk] == AlertStatus.OPEN
    assert RiskAlert.objects.get(pk=mine[0].pk).acknowledged_by == manager_a


def test_assigning_many_gives_only_alerts_the_assignee_may_see(
    department_a, department_b, admin_user, staff_a, staff_b
):
    east = complaint_alerts(department_a, 2)
    south = complaint_alerts(department_b, 1)

    done, skipped = alerts_assign_many(
        alert_ids=[a.pk for a in east + south], assignee=staff_a, user=admin_user
    )

    assert (done, skipped) == (2, 1)
    assert set(RiskAlert.objects.filter(assigned_to=staff_a).values_list("pk", flat=True)) == {
        a.pk for a in east
    }
    assert RiskAlert.objects.get(pk=south[0].pk).assigned_to != staff_a


def test_staff_cannot_assign_alerts(department_a, staff_a):
    alerts = complaint_alerts(department_a, 1)
    colleague = UserFactory(department=department_a)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        alerts_assign_many(alert_ids=[alerts[0].pk], assignee=colleague, user=staff_a)


def test_the_inbox_form_acknowledges_the_ticked_alerts(manager_a_client, department_a, manager_a):
    alerts = complaint_alerts(department_a, 3)
    response = manager_a_client.post(
        "/segments/alerts/bulk/",
        {
            "action": "acknowledge",
            "alert": [alerts[0].pk, alerts[1].pk],
            "query": "scope=all&status=unresolved",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    assert response["Location"] == "/segments/alerts/?scope=all&status=unresolved"
    assert RiskAlert.objects.filter(status=AlertStatus.ACKNOWLEDGED).count() == 2
    page = manager_a_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 alerts acknowledged." in page


def test_the_inbox_form_asks_to_tick_alerts_first(manager_a_client, department_a):
    complaint_alerts(department_a, 1)
    response = manager_a_client.post(
        "/segments/alerts/bulk/", {"action": "acknowledge"}, follow=True
    )
    assert RiskAlert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert response.status_code == 200


def test_an_alert_page_labels_its_figures(manager_a_client, department_a):
    alert = complaint_alerts(department_a, 1)[0]
    RiskAlert.objects.filter(pk=alert.pk).update(
        detail={"current": "7000.00", "previous": "10000.00", "drop_percent": "30"}
    )
    page = manager_a_client.get(
        f"/segments/alerts/{alert.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "drop_percent" not in page and "<code>current</code>" not in page
    assert "¥7,000.00" in page and "¥10,000.00" in page and "30 %" in page
