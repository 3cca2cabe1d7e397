"""The monthly report reaches a real SMTP server on loopback: each manager gets their
department's report and each admin every department's, with the PDF and the XLSX
attached, once — however often the beat task runs. A refused connection is recorded
with its error and the next run sends the report."""

import datetime as dt
import io

import pypdf
import pytest
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook

from carecrm.accounts.tests.factories import UserFactory
from carecrm.celery import app
from carecrm.core.testing import free_port
from dashboard.models import DeliveryStatus, ReportDelivery
from dashboard.selectors.report_deliveries import MAX_ATTEMPTS
from dashboard.services.report_deliveries import monthly_reports_send
from dashboard.tasks import send_monthly_reports

pytestmark = pytest.mark.django_db

FIRST_OF_DECEMBER = "2026-12-01"


@pytest.fixture
def readers(two_departments, manager_a, admin_user):
    """Who gets a report: manager_a (华东), a manager of 华南 and the admin. Staff, an
    inactive manager, one without an email address and one without a department do not."""
    east, south = two_departments
    manager_b = UserFactory(username="manager_b", role="manager", department=south)
    UserFactory(username="staff_x", role="staff", department=east)
    UserFactory(username="gone", role="manager", department=east, is_active=False)
    UserFactory(username="no_mail", role="manager", department=east, email="")
    UserFactory(username="nowhere", role="manager", department=None)
    return {"east": manager_a, "south": manager_b, "admin": admin_user}


def attachments(message) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_content()
        for part in message.iter_attachments()
        if part.get_filename()
    }


def vip_count(xlsx: bytes) -> int:
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    return next(row[2] for row in sheet.iter_rows(values_only=True) if row[0] == "vip_count")


def test_each_reader_gets_their_report_once(readers, smtp_inbox, eager_celery):
    send_monthly_reports.delay(FIRST_OF_DECEMBER).get()
    send_monthly_reports.delay(FIRST_OF_DECEMBER).get()  # beat ran twice: nothing new

    received = {tuple(to): message for to, message in smtp_inbox.messages()}
    assert len(smtp_inbox.received) == 3
    assert set(received) == {(user.email,) for user in readers.values()}

    east = received[(readers["east"].email,)]
    assert "华东销售部" in east["Subject"] and "Monthly care report" in east["Subject"]
    body = east.get_body(preferencelist=("plain",)).get_content()
    assert "VIP customers: 2" in body
    assert "https://care.example.cn/dashboard/reports/" in body
    files = attachments(east)
    assert set(files) == {
        "care-report-2026-11-east-sales.pdf",
        "care-report-2026-11-east-sales.xlsx",
    }
    pdf = files["care-report-2026-11-east-sales.pdf"]
    assert pdf.startswith(b"%PDF")
    assert "华东销售部" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert vip_count(files["care-report-2026-11-east-sales.xlsx"]) == 2

    south = attachments(received[(readers["south"].email,)])
    assert vip_count(south["care-report-2026-11-south-sales.xlsx"]) == 3
    everyone = attachments(received[(readers["admin"].email,)])
    assert vip_count(everyone["care-report-2026-11-all.xlsx"]) == 5

    rows = ReportDelivery.objects.order_by("recipient__username")
    assert [(r.recipient.username, r.status, r.attempts) for r in rows] == [
        ("admin", "sent", 1),
        ("manager_a", "sent", 1),
        ("manager_b", "sent", 1),
    ]
    assert rows[0].department is None and rows[1].department == readers["east"].department
    assert all(r.period_start == dt.date(2026, 11, 1) for r in rows)


def test_a_refused_email_is_recorded_and_sent_by_the_next_run(
    readers, smtp_inbox, settings, manager_a
):
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there

    outcome = monthly_reports_send(dt.date(2026, 12, 1))

    assert outcome["failed"] == 3 and outcome["sent"] == 0
    failed = ReportDelivery.objects.get(recipient=manager_a)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert "ConnectionRefusedError" in failed.error and failed.sent_at is None
    assert smtp_inbox.received == []

    settings.EMAIL_PORT = working_port
    outcome = monthly_reports_send(dt.date(2026, 12, 2))  # the next morning

    assert outcome == {
        "period": "2026-11-01",
        "planned": 0,
        "pending": 0,
        "sent": 3,
        "failed": 0,
        "skipped": 0,
    }
    sent = ReportDelivery.objects.get(recipient=manager_a)
    assert (sent.status, sent.attempts, sent.error) == (DeliveryStatus.SENT, 2, "")
    assert sorted(to for to, _m in smtp_inbox.messages()) == sorted(
        [user.email] for user in readers.values()
    )


def test_failures_stop_after_the_last_attempt_and_stay_visible(readers, settings, manager_a):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    for day in range(1, MAX_ATTEMPTS + 3):
        monthly_reports_send(dt.date(2026, 12, day))
    delivery = ReportDelivery.objects.get(recipient=manager_a)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS


def test_a_reader_who_left_is_skipped_with_the_reason(readers, smtp_inbox, manager_a):
    from dashboard.services.report_deliveries import deliveries_plan, last_month

    deliveries_plan(last_month(dt.date(2026, 12, 1)))
    manager_a.is_active = False
    manager_a.save()

    monthly_reports_send(dt.date(2026, 12, 1))

    skipped = ReportDelivery.objects.get(recipient=manager_a)
    assert skipped.status == DeliveryStatus.SKIPPED and skipped.attempts == 0
    assert "no longer an active manager" in skipped.error
    assert len(smtp_inbox.received) == 2


def test_a_manager_appointed_later_gets_last_months_report_on_the_next_run(
    readers, smtp_inbox, department_a
):
    monthly_reports_send(dt.date(2026, 12, 1))
    newcomer = UserFactory(username="newcomer", role="manager", department=department_a)

    outcome = monthly_reports_send(dt.date(2026, 12, 9))

    assert (outcome["planned"], outcome["sent"]) == (1, 1)
    assert [to for to, _m in smtp_inbox.messages()][-1] == [newcomer.email]
    assert ReportDelivery.objects.count() == 4


def test_beat_runs_the_task_every_morning_at_seven_china_time():
    task = PeriodicTask.objects.get(task="dashboard.send_monthly_reports")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == (
        "0",
        "7",
        "Asia/Shanghai",
    )
    assert "dashboard.send_monthly_reports" in app.tasks
