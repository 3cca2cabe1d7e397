"""In Chromium: a manager on a phone picks a quarter and downloads the XLSX, is told why
a backwards custom range cannot be printed, fixes it and downloads the PDF; an admin at
1440 px downloads one department's PDF and sends a failed monthly email again. The files
are the ones the browser saved, opened as a reader would."""

import io
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from carecrm.core.testing import fits_the_screen, staff_page
from dashboard.models import DeliveryStatus, ReportDelivery
from dashboard.tests.factories import ReportDeliveryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}}


def download(page, button: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(button)
    saved = info.value
    return saved.suggested_filename, Path(saved.path()).read_bytes()


def test_a_manager_downloads_a_quarter_and_a_custom_range_on_a_phone(
    live_server, browser, two_departments, manager_a
):
    page, problems = staff_page(browser, live_server, manager_a, "/dashboard/reports/")
    page.wait_for_selector("#report-form")
    assert fits_the_screen(page)
    assert page.is_hidden("#id_from")  # a custom range's days show only for a custom range

    page.select_option("#id_period", "quarter")
    page.fill("#id_on", "2026-08-15")
    name, content = download(page, "#download-xlsx")
    assert name == "care-report-2026-q3-east-sales.xlsx"
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["A1"].value.startswith("Quarterly care report")
    vip = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "vip_count")
    assert vip[2] == 2

    page.select_option("#id_period", "custom")
    assert page.is_hidden("#id_on") and page.is_visible("#id_from")
    page.fill("#id_from", "2026-03-01")
    page.fill("#id_to", "2026-02-01")
    page.click("#download-pdf")
    page.wait_for_selector("text=The period ends before it starts.")
    assert page.input_value("#id_from") == "2026-03-01"  # what was typed stays
    assert fits_the_screen(page)

    page.fill("#id_to", "2026-03-31")
    name, content = download(page, "#download-pdf")
    assert name == "care-report-20260301-20260331-east-sales.pdf"
    text = pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "华东销售部" in text and "2026-03-01" in text and "2026-03-31" in text
    # the refused range answered 400 (Chromium logs that); nothing else went wrong
    assert [p for p in problems if "status of 400" not in p] == []
    assert len(problems) == 1


def test_an_admin_downloads_a_departments_pdf_and_resends_an_email(
    live_server, browser, two_departments, admin_user, manager_a, smtp_inbox, eager_celery
):
    _east, south = two_departments
    failed = ReportDeliveryFactory(
        recipient=manager_a, status=DeliveryStatus.FAILED, attempts=7, error="TimeoutError"
    )
    page, problems = staff_page(
        browser, live_server, admin_user, "/dashboard/reports/", device=DESKTOP
    )
    page.wait_for_selector("#report-deliveries")
    assert fits_the_screen(page)

    page.select_option("#id_period", "year")
    page.fill("#id_on", "2026-06-01")
    page.select_option("#id_department", str(south.pk))
    name, content = download(page, "#download-pdf")
    assert name == "care-report-2026-south-sales.pdf"
    text = pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Annual care report" in text and "华南销售部" in text and "华东销售部" not in text

    row = page.locator(f'[data-delivery="{failed.pk}"]')
    assert row.locator("[data-error]").inner_text() == "TimeoutError"
    row.locator("button", has_text="Send again").click()
    page.wait_for_selector("text=is being sent again")
    page.wait_for_selector(f'[data-delivery="{failed.pk}"] [data-status="sent"]')
    assert ReportDelivery.objects.get(pk=failed.pk).status == DeliveryStatus.SENT
    assert [to for to, _message in smtp_inbox.messages()] == [[manager_a.email]]
    assert problems == []
