"""The reports page: any period's report for the reader's scope as PDF or XLSX; a period
that cannot be read is refused with the reason, never swapped for another; the emailed
reports listed for managers (their department) and admins (all), who may send a failed
one again."""

import io

import pypdf
import pytest
from django.utils import timezone
from openpyxl import load_workbook

from carecrm.accounts.tests.factories import UserFactory
from dashboard.models import DeliveryStatus, ReportDelivery
from dashboard.tests.factories import ReportDeliveryFactory

pytestmark = pytest.mark.django_db


def kpi(response, key: str):
    assert response.status_code == 200, response.content[:500]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return next(row[2] for row in sheet.iter_rows(values_only=True) if row[0] == key)


def test_the_page_offers_last_month_and_the_scope(staff_a_client, manager_a_client):
    page = staff_a_client.get("/dashboard/reports/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="report-form"' in text and 'name="department"' not in text
    assert "My department and my customers" in text
    assert "report-deliveries" not in text  # staff do not see the emailed reports
    assert "华东销售部" in manager_a_client.get("/dashboard/reports/").content.decode()


def test_a_quarter_as_pdf(staff_a_client, two_departments):
    response = staff_a_client.get(
        "/dashboard/reports/download.pdf", {"period": "quarter", "on": "2026-08-15"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="care-report-2026-q3-east-sales.pdf"'
    )
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Quarterly care report" in text and "2026-07-01" in text and "2026-09-30" in text


def test_a_manager_cannot_pick_another_department(manager_a_client, two_departments):
    _east, south = two_departments
    response = manager_a_client.get(
        "/dashboard/reports/download.xlsx", {"period": "month", "department": south.pk}
    )
    assert kpi(response, "vip_count") == 2
    assert response["Content-Disposition"].endswith('-east-sales.xlsx"')


def test_an_admin_picks_a_department_or_all(admin_client_user, two_departments):
    _east, south = two_departments
    url = "/dashboard/reports/download.xlsx"
    assert (
        kpi(admin_client_user.get(url, {"period": "year", "department": south.pk}), "vip_count")
        == 3
    )
    assert kpi(admin_client_user.get(url, {"period": "year", "department": ""}), "vip_count") == 5
    # the same query parameters as the dashboard (Period.as_query)
    custom = admin_client_user.get(
        url, {"period": "custom", "from": "2026-01-01", "to": "2026-03-31"}
    )
    assert custom["Content-Disposition"].endswith('care-report-20260101-20260331-all.xlsx"')


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom", "from": "2026-03-01"}, "Give the last day of the custom range."),
        (
            {"period": "custom", "from": "2026-03-01", "to": "2026-02-01"},
            "The period ends before it starts.",
        ),
        (
            {"period": "custom", "from": "2020-01-01", "to": "2026-01-01"},
            "A custom range is at most 1098 days long",
        ),
        ({"period": "month", "on": "2026-13-01"}, "Enter a valid date."),
        ({"period": "week"}, "Select a valid choice."),
        ({"period": "year", "on": "2999-01-01"}, "This period has not started yet"),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_with_the_reason(staff_a_client, query, message):
    response = staff_a_client.get("/dashboard/reports/download.pdf", query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_only_those_allowed_download(client, staff_a):
    assert client.get("/dashboard/reports/download.pdf").status_code == 302  # to the login
    staff_a.groups.clear()  # no role group: no permission
    client.force_login(staff_a)
    assert client.get("/dashboard/reports/download.pdf").status_code == 403


def test_managers_see_their_departments_deliveries_and_admins_all(
    manager_a_client, admin_client_user, manager_a, department_b, staff_a_client
):
    mine = ReportDeliveryFactory(
        recipient=manager_a,
        status=DeliveryStatus.FAILED,
        attempts=2,
        error="SMTPRecipientsRefused: 550",
    )
    theirs = ReportDeliveryFactory(
        recipient=UserFactory(username="manager_b", role="manager", department=department_b),
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
    )
    admins = ReportDeliveryFactory(
        recipient=UserFactory(username="boss", role="admin", department=None), department=None
    )

    text = manager_a_client.get("/dashboard/reports/").content.decode()
    assert f'data-delivery="{mine.pk}"' in text and "SMTPRecipientsRefused: 550" in text
    assert f'data-delivery="{theirs.pk}"' not in text and f'data-delivery="{admins.pk}"' not in text
    text = admin_client_user.get("/dashboard/reports/").content.decode()
    assert all(f'data-delivery="{d.pk}"' in text for d in (mine, theirs, admins))

    assert staff_a_client.post(f"/dashboard/reports/deliveries/{mine.pk}/send/").status_code == 403
    assert (
        manager_a_client.post(f"/dashboard/reports/deliveries/{theirs.pk}/send/").status_code == 404
    )


def test_a_failed_report_is_sent_again_on_request(
    manager_a_client, manager_a, smtp_inbox, eager_celery, django_capture_on_commit_callbacks
):
    delivery = ReportDeliveryFactory(
        recipient=manager_a,
        status=DeliveryStatus.FAILED,
        attempts=7,
        error="TimeoutError: timed out",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_a_client.post(f"/dashboard/reports/deliveries/{delivery.pk}/send/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (DeliveryStatus.SENT, 1, "")
    assert [to for to, _m in smtp_inbox.messages()] == [[manager_a.email]]

    again = manager_a_client.post(f"/dashboard/reports/deliveries/{delivery.pk}/send/", follow=True)
    assert "download it again from this page instead" in again.content.decode()
    assert len(smtp_inbox.received) == 1
    assert ReportDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT
