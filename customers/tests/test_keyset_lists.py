"""Follow-ups, the audit log, verification tasks and an import's rejected rows a keyset
page at a time: every row exactly once in order, filters kept, a bad cursor answered
clearly, no COUNT(*) over the big table on a page view."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction, AuditEntry
from carecrm.core.testing import unbounded_counts, walk_keyset_pages
from customers.models import (
    ImportJob,
    ImportRejection,
    ImportStatus,
    Interaction,
    VerificationTask,
)
from customers.tests.factories import CustomerFactory, InteractionFactory
from customers.tests.quality_factories import VerificationTaskFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _ids(queryset, *order) -> list[str]:
    return [str(pk) for pk in queryset.order_by(*order).values_list("pk", flat=True)]


@pytest.fixture
def follow_ups(department_a, staff_a):
    today = timezone.localdate()
    for n, customer in enumerate(CustomerFactory.create_batch(120, department=department_a)):
        InteractionFactory(
            customer=customer,
            staff=staff_a,
            kind="complaint" if n % 3 else "consultation",
            follow_up_due=today + dt.timedelta(days=n % 9 - 4),
        )


def test_follow_ups_page_through_every_open_follow_up_once(staff_a_client, follow_ups):
    pages = walk_keyset_pages(
        staff_a_client,
        "/customers/follow-ups/?kind=complaint",
        "data-follow-up",
        keep={"kind": "complaint"},
    )

    expected = _ids(Interaction.objects.filter(kind="complaint"), "follow_up_due", "id")
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [50, 30]


def test_an_edited_follow_up_cursor_shows_the_first_page(staff_a_client, follow_ups):
    body = staff_a_client.get("/customers/follow-ups/?before=%%%", **EN).content.decode()

    assert "data-cursor-invalid" in body
    assert "120 open follow-ups" in body


@pytest.fixture
def audit_trail(staff_a):
    for n in range(130):
        audit_record(
            actor=staff_a,
            action=AuditAction.VIEW if n % 4 else AuditAction.EXPORT,
            customer_id=n,
        )


def test_the_audit_log_pages_through_every_entry_once(admin_client_user, audit_trail):
    pages = walk_keyset_pages(
        admin_client_user,
        "/customers/quality/audit/?action=view",
        "data-entry",
        keep={"action": "view"},
    )

    assert [pk for page in pages for pk in page] == _ids(
        AuditEntry.objects.filter(action="view"), "-id"
    )


def test_an_audit_log_page_counts_nothing_in_full(admin_client_user, audit_trail, settings):
    settings.LIST_EXACT_COUNT_BELOW = 20
    settings.LIST_COUNT_CAP = 20

    with CaptureQueriesContext(connection) as queries:
        response = admin_client_user.get("/customers/quality/audit/?last=1", **EN)

    assert response.status_code == 200
    assert unbounded_counts(queries.captured_queries, AuditEntry._meta.db_table) == []
    assert "130 in all" not in response.content.decode()


def test_verification_tasks_page_through_every_task_once(staff_a_client, staff_a, department_a):
    today = timezone.localdate()
    for n, customer in enumerate(CustomerFactory.create_batch(60, department=department_a)):
        VerificationTaskFactory(
            customer=customer, assigned_to=staff_a, due_on=today + dt.timedelta(days=n % 5)
        )

    pages = walk_keyset_pages(
        staff_a_client, "/customers/quality/verifications/?scope=mine", "data-task"
    )

    assert [pk for page in pages for pk in page] == _ids(
        VerificationTask.objects.all(), "due_on", "id"
    )


def test_an_import_s_rejected_rows_page_in_file_order(staff_a, staff_a_client, department_a):
    job = ImportJob.objects.create(
        kind="customers",
        original_name="big.csv",
        department=department_a,
        created_by=staff_a,
        status=ImportStatus.DONE,
        total_rows=200,
        processed_rows=200,
        rejected_count=120,
    )
    ImportRejection.objects.bulk_create(
        ImportRejection(job=job, row_number=row, reason="not a phone number")
        for row in range(240, 0, -2)
    )

    pages = walk_keyset_pages(staff_a_client, f"/customers/imports/{job.pk}/", "data-rejection")

    assert [pk for page in pages for pk in page] == _ids(job.rejections.all(), "row_number")
    assert [len(page) for page in pages] == [50, 50, 20]
