"""The budget table as XLSX and PDF: the same rows, amounts and totals as the plan page,
read from the stored figures (the money helper computed them once)."""

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from budgets.models import BudgetPlan
from budgets.selectors.overview import plan_line_totals, plan_lines
from budgets.selectors.plans import plan_cap_check
from carecrm.pdf import render_pdf
from carecrm.spreadsheet import neutralise_cell

YUAN_FORMAT = "¥#,##0.00"


def plan_table(plan: BudgetPlan) -> dict:
    lines = list(plan_lines(plan))
    return {
        "plan": plan,
        "lines": lines,
        "totals": plan_line_totals(plan, lines),
        "check": plan_cap_check(plan),
        "printed_at": timezone.localtime(),
    }


def plan_export_xlsx(plan: BudgetPlan) -> bytes:
    table = plan_table(plan)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Budget")[:31]
    sheet.append([neutralise_cell(plan.title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [neutralise_cell(f"{plan.department} · {plan.year} · {plan.get_status_display()}")]
    )
    sheet.append([])
    headers = [
        _("Category"),
        _("Description"),
        _("Unit price"),
        _("Quantity"),
        _("Amount"),
        _("Spent"),
        _("Variance"),
    ]
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for line in table["lines"]:
        sheet.append(
            [
                neutralise_cell(line.get_category_display()),
                neutralise_cell(line.description),
                line.unit_price,
                line.quantity,
                line.amount,
                line.spent,
                line.variance,
            ]
        )
        row = sheet.max_row
        for column in "CEFG":
            sheet[f"{column}{row}"].number_format = YUAN_FORMAT
        sheet[f"D{row}"].number_format = "#,##0.##"
    totals = table["totals"]
    summary = [
        (_("Subtotal"), plan.subtotal, None, None),
        (
            _("Contingency %(percent)s %%") % {"percent": _percent(plan.contingency_percent)},
            plan.contingency,
            None,
            None,
        ),
        (_("Total"), plan.total, totals.spent, totals.variance),
    ]
    for label, amount, spent, variance in summary:
        sheet.append([neutralise_cell(label), None, None, None, amount, spent, variance])
        row = sheet.max_row
        sheet[f"A{row}"].font = Font(bold=True)
        for column in "EFG":
            sheet[f"{column}{row}"].number_format = YUAN_FORMAT
            sheet[f"{column}{row}"].font = Font(bold=True)
    for column, width in zip("ABCDEFG", (14, 36, 14, 10, 16, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row[2:]:
            cell.alignment = Alignment(horizontal="right")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def plan_export_pdf(plan: BudgetPlan) -> bytes:
    return render_pdf("budgets/plan_pdf.html", plan_table(plan))
