import datetime as dt

import pytest
from django.utils import timezone

from carecrm.core.audit import audit_record
from carecrm.core.keyset import SortKey, encode_cursor
from carecrm.core.models import AuditAction, AuditEntry
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(department_a):
    return CustomerFactory(department=department_a, name="赵敏")


def test_manager_sees_the_customers_audit_trail(manager_a_client, manager_a, staff_a, customer):
    audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=customer.pk, obj=customer)
    audit_record(actor=manager_a, action=AuditAction.EXPORT, customer_id=customer.pk + 1000)

    response = manager_a_client.get(
        f"/customers/quality/customer/{customer.pk}/audit/", HTTP_ACCEPT_LANGUAGE="en"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-action=") == 1
    assert 'data-action="view"' in body
    assert str(staff_a) in body


def test_staff_cannot_open_the_audit_trail(staff_a_client, customer):
    response = staff_a_client.get(f"/customers/quality/customer/{customer.pk}/audit/")

    assert response.status_code == 403


def test_audit_trail_of_another_departments_customer_is_404(manager_a_client, department_b):
    theirs = CustomerFactory(department=department_b)

    response = manager_a_client.get(f"/customers/quality/customer/{theirs.pk}/audit/")

    assert response.status_code == 404


def test_only_admins_see_the_global_audit_log(manager_a_client, admin_client_user):
    assert manager_a_client.get("/customers/quality/audit/").status_code == 403
    assert admin_client_user.get("/customers/quality/audit/").status_code == 200


def test_global_log_filters_by_actor_action_and_date(admin_client_user, staff_a, manager_a):
    viewed = audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=1)
    audit_record(actor=manager_a, action=AuditAction.VIEW, customer_id=2)
    audit_record(actor=staff_a, action=AuditAction.MERGE, customer_id=3)
    old = audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=4)
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    today = timezone.localdate().isoformat()

    response = admin_client_user.get(
        "/customers/quality/audit/",
        {"actor": staff_a.pk, "action": "view", "date_from": today, "date_to": today},
    )

    body = response.content.decode()
    assert body.count("data-action=") == 1
    assert f'href="/customers/quality/customer/{viewed.customer_id}/audit/"' in body


def test_global_log_rejects_an_end_date_before_the_start(admin_client_user):
    response = admin_client_user.get(
        "/customers/quality/audit/",
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "The end date is before the start date." in response.content.decode()


def test_global_log_pages_with_a_cursor(admin_client_user, staff_a):
    entries = [
        audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=n) for n in range(60)
    ]

    first = admin_client_user.get("/customers/quality/audit/").content.decode()
    cursor = encode_cursor(entries[10], SortKey("id"))
    second = admin_client_user.get(f"/customers/quality/audit/?after={cursor}").content.decode()

    assert first.count("data-action=") == 50
    assert f"after={cursor}" in first
    assert second.count("data-action=") == 10
    assert "after=" not in second.split('id="audit-table"')[1]


def test_global_log_queries_do_not_grow_with_rows(
    admin_client_user, staff_a, django_assert_max_num_queries
):
    for n in range(50):
        audit_record(actor=staff_a, action=AuditAction.VIEW, customer_id=n)

    with django_assert_max_num_queries(10):
        admin_client_user.get("/customers/quality/audit/")
