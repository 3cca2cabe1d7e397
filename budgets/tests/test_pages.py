"""The budget pages, exports and receipts as users reach them: the example budget shows
46,200.00 on the page, in the XLSX and in the PDF; another department's budget is not
found anywhere; receipts are checked by content."""

import io
from decimal import Decimal

import pypdf
import pypdfium2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image

from budgets.models import BudgetSettings, Expense, PlanStatus
from budgets.tests.factories import BudgetPlanFactory, ExpenseFactory
from carecrm.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_plan_page_shows_the_example_totals(example_plan, staff_a_client):
    response = staff_a_client.get(f"/budgets/plans/{example_plan.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥46,200.00" in html and "¥4,200.00" in html and "¥42,000.00" in html
    assert "Contingency 10 %" in html
    assert "9.24 % of the department's annual budget" in html


def test_the_xlsx_holds_exact_amounts(example_plan, staff_a_client):
    response = staff_a_client.get(f"/budgets/plans/{example_plan.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5) if row[0].value}
    total = rows["Total"]
    assert Decimal(str(total[4].value)) == Decimal("46200.00")
    assert total[4].number_format == "¥#,##0.00"
    contingency = next(row for label, row in rows.items() if label.startswith("Contingency"))
    assert Decimal(str(contingency[4].value)) == Decimal("4200.00")
    lines = list(sheet.iter_rows(min_row=5, max_row=11))
    assert [row[0].value for row in lines][-3:] == ["Catering", "Catering", "Promotion"]
    assert sum(Decimal(str(row[4].value)) for row in lines) == Decimal("42000.00")
    assert Decimal(str(rows["Subtotal"][4].value)) == Decimal("42000.00")


def test_the_xlsx_neutralises_formulas(department_a, staff_a, staff_a_client, annual_a):
    from budgets.services.plans import line_add

    plan = BudgetPlanFactory(department=department_a, created_by=staff_a, title="=HYPERLINK(1)")
    line_add(
        plan=plan, user=staff_a, data={"category": "other", "description": "=1+1", "lump_sum": "1"}
    )
    sheet = load_workbook(
        io.BytesIO(staff_a_client.get(f"/budgets/plans/{plan.pk}/export.xlsx").content)
    ).active
    assert sheet["A1"].value == "'=HYPERLINK(1)"
    assert sheet["B5"].value == "'=1+1"


def test_the_pdf_prints_the_example_in_chinese(example_plan, staff_a_client, settings):
    response = staff_a_client.get(
        f"/budgets/plans/{example_plan.pk}/export.pdf", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    )
    assert "46,200.00" in text and "4,200.00" in text
    assert "宴会厅场地" in text and "客户礼品" in text
    page = pypdfium2.PdfDocument(response.content)[0]
    image = page.render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2000, "the rendered page is blank"


def test_the_pdf_names_categories_in_chinese(example_plan, staff_a):
    from django.utils import translation

    from budgets.services.exports import plan_export_pdf

    with translation.override("zh-hans"):
        content = plan_export_pdf(example_plan)
    text = pypdf.PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "46,200.00" in text
    assert "礼品" in text or "Gifts" in text  # translations arrive at merge


@pytest.mark.parametrize(
    "path",
    [
        "/budgets/plans/{plan}/",
        "/budgets/plans/{plan}/export.xlsx",
        "/budgets/plans/{plan}/export.pdf",
        "/budgets/expenses/{expense}/receipt/",
        "/api/v1/budget-plans/{plan}/",
    ],
)
def test_another_department_gets_404(example_plan, staff_b, path, client):
    expense = ExpenseFactory(
        line=example_plan.lines.first(),
        receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4 x"),
    )
    client.force_login(staff_b)
    response = client.get(path.format(plan=example_plan.pk, expense=expense.pk))
    assert response.status_code == 404


def test_another_department_cannot_change_a_budget(example_plan, staff_b, client):
    client.force_login(staff_b)
    line = example_plan.lines.first()
    before = example_plan.total
    for path, data in [
        (
            f"/budgets/plans/{example_plan.pk}/lines/add/",
            {"new-category": "other", "new-description": "x", "new-lump_sum": "9"},
        ),
        (f"/budgets/lines/{line.pk}/delete/", {}),
        (f"/budgets/plans/{example_plan.pk}/submit/", {}),
    ]:
        assert client.post(path, data).status_code == 404
    example_plan.refresh_from_db()
    assert example_plan.total == before and example_plan.lines.count() == 7


def test_lists_never_show_another_departments_plans(example_plan, staff_b, client):
    client.force_login(staff_b)
    assert "客户答谢会预算" not in client.get("/budgets/").content.decode()


def test_adding_a_line_on_the_page_recomputes(example_plan, staff_a_client):
    response = staff_a_client.post(
        f"/budgets/plans/{example_plan.pk}/lines/add/",
        {
            "new-category": "other",
            "new-description": "交通",
            "new-unit_price": "100",
            "new-quantity": "10",
        },
        follow=True,
    )
    assert "¥47,300.00" in response.content.decode()


def test_a_bad_line_is_refused_with_the_input_kept(example_plan, staff_a_client):
    response = staff_a_client.post(
        f"/budgets/plans/{example_plan.pk}/lines/add/",
        {"new-category": "other", "new-description": "交通费用", "new-unit_price": "100"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Give the quantity for this unit price." in html
    assert 'value="交通费用"' in html


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "PNG")
    return out.getvalue()


def _book(client, plan, upload, **extra):
    data = {
        "expense-line": plan.lines.first().pk,
        "expense-amount": "7600.00",
        "expense-spent_on": "2026-05-01",
        "expense-payee": "上海某酒店",
        "expense-receipt": upload,
        **extra,
    }
    return client.post(f"/budgets/plans/{plan.pk}/expenses/add/", data)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("发票.pdf", b"%PDF-1.4\n%test\n", "application/pdf"), ("小票.png", None, "image/png")],
)
def test_receipts_pdf_and_png_are_accepted_and_served_back(
    example_plan, staff_a_client, name, content, kind
):
    content = content or _png()
    response = _book(staff_a_client, example_plan, SimpleUploadedFile(name, content))
    assert response.status_code == 302, response.content.decode()[:3000]
    expense = Expense.objects.get(plan=example_plan)
    assert expense.receipt_type == kind and expense.receipt_name == name
    assert name not in expense.receipt.name  # stored under a name we chose
    download = staff_a_client.get(f"/budgets/expenses/{expense.pk}/receipt/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == content


def test_an_exe_renamed_pdf_is_refused(example_plan, staff_a_client):
    response = _book(
        staff_a_client, example_plan, SimpleUploadedFile("发票.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    )
    assert response.status_code == 200
    assert "A receipt must be a photo (JPEG, PNG or WebP) or a PDF" in response.content.decode()
    assert not Expense.objects.exists()


def test_a_damaged_image_is_refused(example_plan, staff_a_client):
    response = _book(staff_a_client, example_plan, SimpleUploadedFile("a.png", _png()[:40]))
    assert response.status_code == 200
    assert "damaged or incomplete" in response.content.decode()


def test_an_oversize_receipt_is_refused(example_plan, staff_a_client):
    BudgetSettings.objects.create(receipt_max_bytes=100 * 1024)
    response = _book(
        staff_a_client,
        example_plan,
        SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 200 * 1024),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The receipt is 0.2 MB; the largest allowed is 0.1 MB." in html
    assert not Expense.objects.exists()


def test_the_overview_shows_the_year(example_plan, staff_a_client, staff_a):
    from budgets.services.plans import plan_submit

    plan_submit(plan=example_plan, user=staff_a)
    ExpenseFactory(line=example_plan.lines.first(), amount=Decimal("1000.00"))
    html = staff_a_client.get("/budgets/").content.decode()
    assert "¥500,000.00" in html and "¥46,200.00" in html and "¥453,800.00" in html
    assert "allocated minus the larger of committed and spent" in html
    assert 'id="budget-chart"' in html


def test_admin_pages_refuse_staff_and_work_for_admins(
    staff_a_client, admin_client_user, department_a
):
    assert staff_a_client.get("/budgets/settings/").status_code == 403
    assert staff_a_client.post("/budgets/annual/", {"annual-year": "2026"}).status_code == 403
    response = admin_client_user.post(
        "/budgets/annual/",
        {"annual-year": "2026", "annual-department": department_a.pk, "annual-allocated": "300000"},
    )
    assert response.status_code == 302
    response = admin_client_user.post(
        "/budgets/settings/",
        {
            "contingency_min": "12",
            "contingency_default": "10",
            "contingency_max": "15",
            "event_share_cap": "20",
            "receipt_max_mb": "5",
        },
    )
    assert response.status_code == 200
    assert (
        "The default contingency must lie between the lowest and the highest."
        in response.content.decode()
    )


def test_a_manager_approves_on_the_page(example_plan, staff_a, manager_a_client):
    from budgets.services.plans import plan_submit

    plan_submit(plan=example_plan, user=staff_a)
    response = manager_a_client.post(
        f"/budgets/plans/{example_plan.pk}/approve/", {"approve-comment": "同意"}
    )
    assert response.status_code == 302
    example_plan.refresh_from_db()
    assert example_plan.status == PlanStatus.APPROVED


def test_a_staff_member_cannot_approve(example_plan, staff_a, client, department_a):
    from budgets.services.plans import plan_submit

    plan_submit(plan=example_plan, user=staff_a)
    other = UserFactory(role="staff", department=department_a)
    client.force_login(other)
    assert client.post(f"/budgets/plans/{example_plan.pk}/approve/").status_code == 403


def test_an_expense_is_edited_and_its_receipt_replaced(
    example_plan, staff_a_client, django_capture_on_commit_callbacks
):
    _book(staff_a_client, example_plan, SimpleUploadedFile("旧.pdf", b"%PDF-1.4\nold\n"))
    expense = Expense.objects.get()
    old_name = expense.receipt.name
    storage = expense.receipt.storage
    page = staff_a_client.get(f"/budgets/expenses/{expense.pk}/edit/")
    assert page.status_code == 200 and "旧.pdf" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_a_client.post(
            f"/budgets/expenses/{expense.pk}/edit/",
            {
                "edit-line": expense.line_id,
                "edit-amount": "7800.00",
                "edit-spent_on": "2026-05-02",
                "edit-payee": "上海某酒店",
                "edit-receipt": SimpleUploadedFile("新.png", _png()),
            },
        )
    assert response.status_code == 302
    expense.refresh_from_db()
    assert (expense.amount, expense.receipt_name) == (Decimal("7800.00"), "新.png")
    assert not storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        staff_a_client.post(f"/budgets/expenses/{expense.pk}/delete/")
    assert not Expense.objects.exists() and not storage.exists(expense.receipt.name)


def test_a_line_is_edited_on_the_page(example_plan, staff_a_client):
    line = example_plan.lines.get(description="客户礼品")
    page = staff_a_client.get(f"/budgets/plans/{example_plan.pk}/?edit={line.pk}")
    assert 'id="line-edit-form"' in page.content.decode()
    response = staff_a_client.post(
        f"/budgets/lines/{line.pk}/edit/",
        {
            f"line{line.pk}-category": "gifts",
            f"line{line.pk}-description": "客户礼品",
            f"line{line.pk}-unit_price": "150",
            f"line{line.pk}-quantity": "100",
        },
        follow=True,
    )
    assert "¥49,500.00" in response.content.decode()  # (42,000 − 12,000 + 15,000) × 1.1


def test_the_settings_page_shows_the_receipt_limit_in_mb(admin_client_user):
    html = admin_client_user.get("/budgets/settings/").content.decode()
    assert 'value="10.0"' in html and 'value="20.00"' in html
