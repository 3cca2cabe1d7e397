"""The budgets API: plans with lines and figures, annual budgets, expenses booked with a
receipt — in the caller's scope."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budgets.models import Expense

pytestmark = pytest.mark.django_db


def test_a_plan_reads_with_lines_and_figures(example_plan, staff_a, api_client_for):
    response = api_client_for(staff_a).get(f"/api/v1/budget-plans/{example_plan.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == "46200.00" and data["contingency"] == "4200.00"
    assert data["figures"]["share_percent"] == "9.24"
    assert data["figures"]["fully_approved"] is False
    assert [line["amount"] for line in data["lines"]][4] == "10000.00"
    assert data["lines"][0]["variance"] == "8000.00"


def test_lists_are_scoped(example_plan, staff_b, api_client_for):
    client = api_client_for(staff_b)
    assert client.get("/api/v1/budget-plans/").json()["results"] == []
    assert client.get("/api/v1/annual-budgets/").json()["results"] == []
    assert client.get(f"/api/v1/budget-plans/{example_plan.pk}/").status_code == 404


def test_an_expense_is_booked_with_a_pdf_receipt(example_plan, staff_a, api_client_for):
    line = example_plan.lines.first()
    response = api_client_for(staff_a).post(
        "/api/v1/budget-expenses/",
        {
            "plan": example_plan.pk,
            "line": line.pk,
            "amount": "7600.00",
            "spent_on": "2026-05-01",
            "payee": "上海某酒店",
            "receipt": SimpleUploadedFile("发票.pdf", b"%PDF-1.4\n%x\n"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    expense = Expense.objects.get()
    assert expense.amount == Decimal("7600.00") and expense.receipt_type == "application/pdf"


def test_an_exe_is_refused_by_the_api(example_plan, staff_a, api_client_for):
    response = api_client_for(staff_a).post(
        "/api/v1/budget-expenses/",
        {
            "plan": example_plan.pk,
            "line": example_plan.lines.first().pk,
            "amount": "10",
            "spent_on": "2026-05-01",
            "payee": "x",
            "receipt": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" * 10),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "receipt" in response.json()


def test_another_departments_plan_cannot_take_expenses(example_plan, staff_b, api_client_for):
    response = api_client_for(staff_b).post(
        "/api/v1/budget-expenses/",
        {
            "plan": example_plan.pk,
            "line": example_plan.lines.first().pk,
            "amount": "10",
            "spent_on": "2026-05-01",
            "payee": "x",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert not Expense.objects.exists()
