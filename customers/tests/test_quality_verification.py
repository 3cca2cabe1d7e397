import datetime as dt
import html
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from carecrm.accounts.tests.factories import UserFactory
from carecrm.core.models import AuditAction, AuditEntry
from customers.models import (
    ContactStatus,
    CustomerStatus,
    DataQualityPolicy,
    VerificationOutcome,
    VerificationTask,
)
from customers.services.quality import (
    VERIFICATION_TASK_NAME,
    data_quality_policy,
    verification_sample_draw,
    verification_sample_size,
    verification_schedule_ensure,
)
from customers.tasks.quality import verification_sample
from customers.tests.factories import CustomerFactory
from customers.tests.quality_factories import VerificationTaskFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
RUN_AT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
MARCH = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("population", "percent", "expected"),
    [
        (40, "5", 2),  # 2.0 exactly
        (41, "5", 3),  # 2.05 → rounded up
        (1, "5", 1),  # any department with customers verifies at least one
        (0, "5", 0),
        (100, "7.5", 8),  # 7.5 → 8
        (200, "10", 20),
    ],
)
def test_sample_size_is_the_percentage_rounded_up(population, percent, expected):
    assert verification_sample_size(population, Decimal(percent)) == expected


def test_sample_draws_five_percent_per_department_excluding_recently_verified(
    department_a, department_b
):
    recently = [
        CustomerFactory(department=department_a, contact_verified_at=RUN_AT - dt.timedelta(days=30))
        for _ in range(10)
    ]
    long_ago = CustomerFactory.create_batch(
        5, department=department_a, contact_verified_at=RUN_AT - dt.timedelta(days=400)
    )
    never = CustomerFactory.create_batch(25, department=department_a)
    CustomerFactory(department=department_a, mobile="", email="")  # no contact: not counted
    CustomerFactory(department=department_a, status=CustomerStatus.MERGED, mobile="")
    CustomerFactory.create_batch(20, department=department_b)

    result = verification_sample_draw(now=RUN_AT)

    # 40 active customers with a contact in A → 5 % = 2; 20 in B → 1.
    assert result.created == 3
    assert result.by_department == {department_a.pk: 2, department_b.pk: 1}
    drawn_a = set(
        VerificationTask.objects.filter(customer__department=department_a).values_list(
            "customer_id", flat=True
        )
    )
    assert drawn_a <= {c.pk for c in [*long_ago, *never]}
    assert not drawn_a & {c.pk for c in recently}
    task = VerificationTask.objects.first()
    assert task.period == MARCH
    assert task.due_on == dt.date(2026, 3, 15)
    assert task.outcome == VerificationOutcome.PENDING


def test_second_draw_in_the_same_month_creates_nothing(department_a):
    CustomerFactory.create_batch(40, department=department_a)

    first = verification_sample_draw(now=RUN_AT)
    second = verification_sample_draw(now=RUN_AT + dt.timedelta(hours=3))

    assert first.created == 2
    assert second.created == 0
    assert VerificationTask.objects.count() == 2


def test_next_month_draws_again_from_the_rest(department_a):
    CustomerFactory.create_batch(20, department=department_a)
    verification_sample_draw(now=RUN_AT)

    april = verification_sample_draw(now=RUN_AT + dt.timedelta(days=31))

    assert april.created == 1
    assert VerificationTask.objects.filter(period=dt.date(2026, 4, 1)).count() == 1
    assert VerificationTask.objects.values("customer").distinct().count() == 2


def test_higher_percentage_draws_more(department_a):
    CustomerFactory.create_batch(40, department=department_a)
    DataQualityPolicy.objects.update_or_create(pk=1, defaults={"sample_percent": Decimal("10")})

    assert verification_sample_draw(now=RUN_AT).created == 4


def test_tasks_go_to_the_relationship_manager_or_in_turn_to_department_staff(department_a):
    manager = UserFactory(username="rm", role="manager", department=department_a)
    UserFactory(username="first", role="staff", department=department_a)
    UserFactory(username="second", role="staff", department=department_a)
    managed = CustomerFactory(department=department_a, relationship_manager=manager)
    CustomerFactory.create_batch(4, department=department_a)
    DataQualityPolicy.objects.update_or_create(pk=1, defaults={"sample_percent": Decimal("10")})

    # 5 customers at 10 % → 1 a month; draw five months to see the rotation.
    for month in range(5):
        verification_sample_draw(now=RUN_AT + dt.timedelta(days=31 * month))

    tasks = VerificationTask.objects.all()
    assert tasks.count() == 5
    assert {t.assigned_to for t in tasks.filter(customer=managed)} == {manager}
    others = [t.assigned_to.username for t in tasks.exclude(customer=managed).order_by("period")]
    assert set(others) <= {"first", "second"}
    assert others.count("first") >= 1 and others.count("second") >= 1


def test_celery_task_draws_the_current_month(department_a):
    CustomerFactory.create_batch(20, department=department_a)

    result = verification_sample("2026-03-01")

    assert result == {"period": "2026-03-01", "created": 1}


# --- Schedule -----------------------------------------------------------------------------


def test_monthly_schedule_exists_after_migrate():
    task = PeriodicTask.objects.get(task=VERIFICATION_TASK_NAME)

    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("0", "9", "1")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_redeploy_keeps_an_admins_change_of_the_schedule():
    task = PeriodicTask.objects.get(task=VERIFICATION_TASK_NAME)
    task.enabled = False
    task.crontab = CrontabSchedule.objects.create(
        minute="30", hour="10", day_of_month="2", timezone="Asia/Shanghai"
    )
    task.save()

    verification_schedule_ensure()
    verification_schedule_ensure()

    task = PeriodicTask.objects.get(task=VERIFICATION_TASK_NAME)
    assert not task.enabled
    assert task.crontab.hour == "10"


# --- Recording outcomes ----------------------------------------------------------------------


@pytest.fixture
def task(staff_a, department_a):
    customer = CustomerFactory(
        department=department_a, mobile="+8613800001111", email="a@example.cn"
    )
    return VerificationTaskFactory(customer=customer, assigned_to=staff_a, period=MARCH)


def _record(client, task, **data):
    return client.post(
        f"/customers/quality/verifications/{task.pk}/",
        {"method": "phone_call", "note": "", **data},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_confirmed_outcome_marks_the_contact_verified(staff_a_client, task, staff_a):
    response = _record(staff_a_client, task, outcome="confirmed")

    assert response.status_code == 302
    task.refresh_from_db()
    customer = task.customer
    customer.refresh_from_db()
    assert task.outcome == VerificationOutcome.CONFIRMED
    assert task.completed_by == staff_a
    assert customer.contact_status == ContactStatus.CONFIRMED
    assert customer.contact_verified_at == task.completed_at
    assert AuditEntry.objects.filter(action=AuditAction.CHANGE, customer_id=customer.pk).exists()


def test_changed_outcome_stores_the_new_number_normalised(staff_a_client, task):
    response = _record(staff_a_client, task, outcome="changed", mobile="139 1234 5678")

    assert response.status_code == 302
    customer = task.customer
    customer.refresh_from_db()
    assert customer.mobile == "+8613912345678"
    assert customer.mobile_last4 == "5678"
    assert customer.contact_status == ContactStatus.CONFIRMED


def test_changed_outcome_rejects_an_invalid_number(staff_a_client, task):
    response = _record(staff_a_client, task, outcome="changed", mobile="12345")

    assert response.status_code == 200
    assert "is not a valid mobile phone number" in response.content.decode()
    task.refresh_from_db()
    assert task.outcome == VerificationOutcome.PENDING


def test_changed_outcome_rejects_a_number_of_another_customer(staff_a_client, task, department_a):
    CustomerFactory(department=department_a, mobile="+8613912345678")

    response = _record(staff_a_client, task, outcome="changed", mobile="13912345678")

    assert "Another active customer already has this mobile phone." in response.content.decode()
    task.refresh_from_db()
    assert task.outcome == VerificationOutcome.PENDING


def test_changed_outcome_refuses_an_email_with_a_control_character(staff_a_client, task):
    response = _record(staff_a_client, task, outcome="changed", email='"wang\x07"@example.cn')

    assert "Contains the control character U+0007" in response.content.decode()
    task.refresh_from_db()
    assert task.outcome == VerificationOutcome.PENDING


def test_changed_outcome_needs_a_new_contact(staff_a_client, task):
    response = _record(staff_a_client, task, outcome="changed")

    assert "Enter the new mobile phone or email." in response.content.decode()


def test_unreachable_customer_is_flagged_and_listed(staff_a_client, task):
    _record(staff_a_client, task, outcome="unreachable", note="空号")

    customer = task.customer
    customer.refresh_from_db()
    task.refresh_from_db()
    assert customer.contact_status == ContactStatus.UNREACHABLE
    assert customer.contact_verified_at is None
    assert customer.contact_unreachable_at == task.completed_at
    page = staff_a_client.get("/customers/quality/unreachable/", HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert customer.name in body
    assert "138****1111" in body
    listed = staff_a_client.get(
        "/customers/quality/verifications/?outcome=unreachable", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert f'data-task="{task.pk}"' in listed.content.decode()


def test_the_unreachable_list_pages_the_latest_found_first_without_offsets(
    staff_a_client, department_a, department_b
):
    """Keyset pages of 50 over a stored date (no OFFSET, no COUNT per page): every
    unreachable customer of the department once, the latest found first, ties by id."""
    now = timezone.now()
    unreachable = [
        CustomerFactory(
            department=department_a,
            contact_status=ContactStatus.UNREACHABLE,
            contact_unreachable_at=now - dt.timedelta(days=n % 40),
        )
        for n in range(120)
    ]
    CustomerFactory(department=department_b, contact_status=ContactStatus.UNREACHABLE)
    CustomerFactory(department=department_a, contact_status=ContactStatus.CONFIRMED)
    expected = [
        c.pk
        for c in sorted(unreachable, key=lambda c: (c.contact_unreachable_at, c.pk), reverse=True)
    ]

    seen, url, pages = [], "/customers/quality/unreachable/", 0
    while url:
        body = staff_a_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        seen += [int(pk) for pk in re.findall(r'href="/customers/(\d+)/"', body)]
        next_link = re.search(r'rel="next" href="([^"]+)"', body)
        url = html.unescape(next_link.group(1)) if next_link else None
        pages += 1
        if pages == 1:
            assert "120 customers" in body

    assert seen == expected
    assert pages == 3


def test_outcome_cannot_be_recorded_twice(staff_a_client, task):
    _record(staff_a_client, task, outcome="confirmed")

    response = _record(staff_a_client, task, outcome="unreachable")

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.outcome == VerificationOutcome.CONFIRMED


def test_staff_of_other_department_gets_404(task, staff_b):
    from django.test import Client

    client = Client()
    client.force_login(staff_b)

    assert client.get(f"/customers/quality/verifications/{task.pk}/").status_code == 404
    assert _record(client, task, outcome="confirmed").status_code == 404


def test_my_verifications_lists_only_my_open_tasks(staff_a_client, task, department_a):
    colleague = UserFactory(username="colleague", role="staff", department=department_a)
    other = VerificationTaskFactory(
        customer=CustomerFactory(department=department_a), assigned_to=colleague, period=MARCH
    )

    mine = staff_a_client.get("/customers/quality/verifications/").content.decode()
    everyone = staff_a_client.get("/customers/quality/verifications/?scope=all").content.decode()

    assert f'data-task="{task.pk}"' in mine
    assert f'data-task="{other.pk}"' not in mine
    assert f'data-task="{other.pk}"' in everyone
    assert "138****1111" in mine


def test_verification_list_queries_do_not_grow_with_rows(
    staff_a_client, staff_a, department_a, django_assert_max_num_queries
):
    for _ in range(20):
        VerificationTaskFactory(
            customer=CustomerFactory(department=department_a), assigned_to=staff_a, period=MARCH
        )

    with django_assert_max_num_queries(12):
        response = staff_a_client.get("/customers/quality/verifications/")

    assert response.content.decode().count("data-task=") == 20


def test_home_card_counts_verifications_due(staff_a_client, task):
    response = staff_a_client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert "Verifications due" in body
    assert 'href="/customers/quality/verifications/"' in body


# --- Policy page ----------------------------------------------------------------------------


def test_admin_sets_the_sample_percentage(admin_client_user):
    response = admin_client_user.post(
        "/customers/quality/policy/",
        {"sample_percent": "7.5", "exclude_verified_within_days": "90", "task_due_days": "10"},
    )

    assert response.status_code == 302
    policy = data_quality_policy()
    assert policy.sample_percent == Decimal("7.5")
    assert policy.exclude_verified_within_days == 90


def test_percentage_outside_5_to_10_is_refused(admin_client_user):
    response = admin_client_user.post(
        "/customers/quality/policy/",
        {"sample_percent": "12", "exclude_verified_within_days": "183", "task_due_days": "14"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 10." in response.content.decode()
    assert data_quality_policy().sample_percent == Decimal("5.0")


def test_managers_cannot_change_the_policy(manager_a_client):
    assert manager_a_client.get("/customers/quality/policy/").status_code == 403


def test_admin_draws_the_sample_now(
    admin_client_user, department_a, eager_celery, django_capture_on_commit_callbacks
):
    CustomerFactory.create_batch(20, department=department_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_user.post("/customers/quality/policy/draw/")

    assert response.status_code == 302
    assert VerificationTask.objects.count() == 1


def test_draw_is_set_based_whatever_the_number_of_customers(
    department_a, department_b, django_assert_max_num_queries
):
    CustomerFactory.create_batch(120, department=department_a)
    CustomerFactory.create_batch(80, department=department_b)

    # Policy, two counts, the draw, the staff, the insert (+ savepoints): never per row.
    with django_assert_max_num_queries(16):
        result = verification_sample_draw(now=RUN_AT)

    assert result.by_department == {department_a.pk: 6, department_b.pk: 4}


def test_timeline_shows_recorded_verifications(staff_a_client, task, staff_a):
    from django.utils import translation

    from carecrm.core.registry import timeline_providers

    _record(staff_a_client, task, outcome="unreachable")

    with translation.override("en"):
        entries = [e for provider in timeline_providers for e in provider(task.customer, staff_a)]
    assert [(e.kind, e.actor) for e in entries] == [("verification", str(staff_a))]
    assert "Unreachable" in str(entries[0].title)
