import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carecrm.accounts.tests.factories import UserFactory
from customers.models import Customer, Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory
from segmentation.models import CoverageReport, ManagerPolicy
from segmentation.selectors import coverage_by_manager, coverage_customers
from segmentation.services.managers import (
    ManagerCapacityError,
    contact_log,
    coverage_report_create,
    manager_assign,
    managers_auto_assign,
)
from segmentation.tests.factories import RelationshipManagerFactory

pytestmark = pytest.mark.django_db


def vips(department, count, *, manager=None, level="silver", **fields):
    return [
        CustomerFactory(
            department=department, vip_level=level, relationship_manager=manager, **fields
        )
        for _ in range(count)
    ]


def test_the_51st_vip_cannot_be_assigned_to_a_manager(department_a, staff_a, manager_a):
    assert ManagerPolicy.objects.get(pk=1).max_vips_per_manager == 50
    vips(department_a, 50, manager=staff_a)
    fifty_first = CustomerFactory(department=department_a, vip_level="gold")

    with pytest.raises(ManagerCapacityError, match="already looks after 50 VIPs"):
        manager_assign(customer=fifty_first, manager=staff_a, user=manager_a)

    assert Customer.objects.get(pk=fifty_first.pk).relationship_manager_id is None


def test_the_database_refuses_the_51st_vip_on_any_write_path(department_a, staff_a):
    vips(department_a, 50, manager=staff_a)
    fifty_first = CustomerFactory(department=department_a, vip_level="silver")

    with pytest.raises(IntegrityError, match="customer_vip_cap_per_manager"), transaction.atomic():
        Customer.objects.filter(pk=fifty_first.pk).update(relationship_manager=staff_a)
    with pytest.raises(IntegrityError, match="customer_vip_cap_per_manager"), transaction.atomic():
        CustomerFactory(department=department_a, vip_level="diamond", relationship_manager=staff_a)


def test_ordinary_customers_and_scoring_upgrades_do_not_count_against_the_cap(
    department_a, staff_a, manager_a
):
    ManagerPolicy.objects.filter(pk=1).update(max_vips_per_manager=2)
    vips(department_a, 2, manager=staff_a)
    ordinary = CustomerFactory(department=department_a, vip_level="normal")

    manager_assign(customer=ordinary, manager=staff_a, user=manager_a)
    Customer.objects.filter(pk=ordinary.pk).update(vip_level="gold")  # nightly upgrade

    assert Customer.objects.get(pk=ordinary.pk).vip_level == "gold"


def test_the_cap_is_admin_configurable(department_a, staff_a, manager_a):
    ManagerPolicy.objects.filter(pk=1).update(max_vips_per_manager=2)
    vips(department_a, 2, manager=staff_a)
    third = CustomerFactory(department=department_a, vip_level="silver")

    with pytest.raises(ManagerCapacityError, match="already looks after 2 VIPs"):
        manager_assign(customer=third, manager=staff_a, user=manager_a)


def test_a_manager_from_another_department_is_refused(department_a, staff_b, manager_a):
    customer = CustomerFactory(department=department_a, vip_level="silver")

    with pytest.raises(Exception, match="customer's department"):
        manager_assign(customer=customer, manager=staff_b, user=manager_a)


def test_auto_assignment_balances_load_prefers_the_region_and_respects_the_cap(
    department_a, department_b, manager_a
):
    ManagerPolicy.objects.filter(pk=1).update(max_vips_per_manager=3)
    east = RelationshipManagerFactory(
        user=UserFactory(username="rm_east", department=department_a), region="上海"
    )
    general = RelationshipManagerFactory(
        user=UserFactory(username="rm_all", department=department_a)
    )
    RelationshipManagerFactory(user=UserFactory(username="rm_b", department=department_b))
    vips(department_a, 1, manager=general.user)
    shanghai = vips(department_a, 2, region="上海", level="gold", spend_12m=Decimal("900"))
    elsewhere = vips(department_a, 4, region="北京")
    in_b = vips(department_b, 1)

    result = managers_auto_assign(user=manager_a)

    loads = {
        rm.user.username: Customer.objects.filter(relationship_manager=rm.user).count()
        for rm in (east, general)
    }
    assert result.assigned == 5
    assert result.unassigned == 1  # 3 + 3 places, one taken already: one 北京 VIP waits
    assert loads == {"rm_east": 3, "rm_all": 3}
    assert {
        c.relationship_manager_id for c in Customer.objects.filter(pk__in=[c.pk for c in shanghai])
    } == {east.user_id}
    assert Customer.objects.get(pk=in_b[0].pk).relationship_manager_id is None  # outside scope
    assert (
        Customer.objects.filter(
            pk__in=[c.pk for c in elsewhere], relationship_manager__isnull=True
        ).count()
        == 1
    )


def test_contact_log_counts_towards_monthly_coverage_but_unanswered_calls_do_not(
    department_a, staff_a, manager_a
):
    contacted, unanswered, silent = vips(department_a, 3, manager=staff_a)
    normal = CustomerFactory(
        department=department_a, vip_level="normal", relationship_manager=staff_a
    )
    now = timezone.now()
    contact_log(
        customer=contacted,
        user=staff_a,
        kind="visit",
        occurred_at=now,
        summary="上门拜访",
        outcome="resolved",
    )
    contact_log(
        customer=unanswered,
        user=staff_a,
        kind="call",
        occurred_at=now,
        summary="未接通",
        outcome="no_answer",
    )
    InteractionFactory(customer=silent, kind="complaint")  # not a contact by the manager
    month = timezone.localdate()

    overdue = set(
        coverage_customers(manager_a, month=month)
        .filter(contacted=False)
        .values_list("pk", flat=True)
    )
    rows = coverage_by_manager(manager_a, month=month)

    assert overdue == {unanswered.pk, silent.pk}
    assert normal.pk not in overdue
    assert rows == [
        {
            "manager": staff_a,
            "manager_id": staff_a.pk,
            "vips": 3,
            "contacted": 1,
            "overdue": 2,
            "percent": 33,
        }
    ]
    assert Interaction.objects.filter(customer=contacted, kind="visit", staff=staff_a).exists()


def test_monthly_coverage_report_is_frozen_once_per_manager_and_month(department_a, staff_a):
    first, _second = vips(department_a, 2, manager=staff_a)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    InteractionFactory(
        customer=first,
        kind="call",
        outcome="resolved",
        occurred_at=timezone.make_aware(dt.datetime.combine(last_month, dt.time(10))),
    )

    assert coverage_report_create() == 1
    assert coverage_report_create() == 1  # a rerun updates, never duplicates

    report = CoverageReport.objects.get()
    assert (report.month, report.manager, report.vip_count, report.contacted_count) == (
        last_month.replace(day=1),
        staff_a,
        2,
        1,
    )
    assert report.overdue_count == 1


def test_coverage_page_lists_the_overdue_vips_per_manager(manager_a_client, department_a, staff_a):
    contacted, overdue = vips(department_a, 2, manager=staff_a)
    InteractionFactory(customer=contacted, kind="call", outcome="resolved")

    response = manager_a_client.get("/segments/coverage/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()

    assert response.status_code == 200
    assert f'data-customer="{overdue.pk}"' in body
    assert f'data-customer="{contacted.pk}"' not in body
    assert f'data-manager="{staff_a.pk}"' in body


def test_the_coverage_pages_count_the_overdue_vips_without_counting_again(
    manager_a_client, department_a, staff_a
):
    """Pages of 50 overdue VIPs; the pager's size is the overdue figure of the per-manager
    table (no COUNT(*) of its own), also under a manager filter."""
    colleague = UserFactory(username="colleague_a", department=department_a)
    vips(department_a, 30, manager=staff_a)
    vips(department_a, 25, manager=colleague)
    vips(department_a, 7)  # no manager

    def page(query: str) -> str:
        return manager_a_client.get(
            f"/segments/coverage/{query}", HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()

    first, second = page(""), page("?page=2")
    assert "Page 1 of 2" in first and first.count('data-customer="') == 50
    assert "Page 2 of 2" in second and second.count('data-customer="') == 12
    mine, nobodys = page(f"?manager={staff_a.pk}"), page("?manager=none")
    assert mine.count('data-customer="') == 30 and "Page 1 of" not in mine
    assert nobodys.count('data-customer="') == 7
    with CaptureQueriesContext(connection) as queries:
        page("")
    assert not [q for q in queries.captured_queries if "COUNT(*)" in q["sql"]]


def test_vip_page_assigns_a_manager_and_logs_a_visit(manager_a_client, department_a, staff_a):
    customer = CustomerFactory(department=department_a, vip_level="gold")

    manager_a_client.post(f"/segments/vips/{customer.pk}/", {"assign": "1", "manager": staff_a.pk})
    manager_a_client.post(
        f"/segments/vips/{customer.pk}/",
        {
            "log_contact": "1",
            "kind": "visit",
            "channel": "",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "outcome": "resolved",
            "summary": "季度拜访，赠送礼品",
        },
    )

    assert Customer.objects.get(pk=customer.pk).relationship_manager == staff_a
    assert Interaction.objects.filter(customer=customer, kind="visit").count() == 1


def test_vip_page_shows_the_cap_error(manager_a_client, department_a, staff_a):
    ManagerPolicy.objects.filter(pk=1).update(max_vips_per_manager=1)
    vips(department_a, 1, manager=staff_a)
    customer = CustomerFactory(department=department_a, vip_level="gold")

    response = manager_a_client.post(
        f"/segments/vips/{customer.pk}/",
        {"assign": "1", "manager": staff_a.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "already looks after 1 VIPs" in response.content.decode()


def test_recompute_segments_prints_counts(department_a, capsys):
    customer = CustomerFactory(department=department_a)
    from customers.tests.factories import OrderFactory

    OrderFactory(customer=customer, amount=Decimal("150000"))

    call_command("recompute_segments")

    out = capsys.readouterr().out
    assert "scored 1 customers" in out
    assert "VIP level changes 1." in out
    # ¥150,000 ten days in: monthly average ¥150,000 × 30 / 90 = ¥50,000 > gold's ¥15,000.
    assert "  vip_level: gold: 1" in out


def test_the_managers_page_agrees_with_coverage_for_people_not_yet_set_up(
    manager_a_client, department_a, staff_a, staff_b
):
    """VIPs naming someone as their manager count on the coverage page; the managers page
    names the same person with the same count and sets them up in one click."""
    vips(department_a, 3, manager=staff_a)
    vips(staff_b.department, 2, manager=staff_b)
    month = timezone.localdate().replace(day=1)
    coverage = {row["manager_id"]: row["vips"] for row in coverage_by_manager(staff_a, month=month)}
    assert coverage == {staff_a.pk: 3}

    page = manager_a_client.get("/segments/managers/").content.decode()
    listed = page[page.index('id="unlisted-holders"') :]
    assert f'data-unlisted="{staff_a.pk}"' in listed and "3" in listed
    assert f'data-unlisted="{staff_b.pk}"' not in page  # another department

    manager_a_client.post(
        "/segments/managers/",
        {"save_profile": "1", "profile-user": staff_a.pk, "profile-accepts_new": "on"},
    )
    page = manager_a_client.get("/segments/managers/").content.decode()
    assert 'id="unlisted-holders"' not in page
    row = page[page.index(f'data-manager="{staff_a.pk}"') :]
    assert "3 / 50" in row[: row.index("</tr>")]
