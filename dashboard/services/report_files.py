"""A care report as files: a PDF to read (WeasyPrint, the Noto CJK font embedded) and an
XLSX to work with (every value a typed number, money in CNY format, text neutralised
against formulas). Both are drawn from one :class:`CareReport`, so they agree."""

import io
from decimal import Decimal

from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from carecrm.core.branding.selectors import current_brand
from carecrm.pdf import render_pdf
from carecrm.spreadsheet import neutralise_cell
from dashboard.figures import Unit
from dashboard.formatting import absolute_url, change_format, meets_target_text, number_format
from dashboard.periods import PeriodKind
from dashboard.selectors.reports import CareReport, budget_use, conversion_rate

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"


def report_filename(report: CareReport, extension: str) -> str:
    """``care-report-2026-11-east-sales.pdf``: period, then scope, ASCII only."""
    period = report.period
    if period.kind == PeriodKind.MONTH:
        when = f"{period.start:%Y-%m}"
    elif period.kind == PeriodKind.QUARTER:
        when = f"{period.start.year}-q{(period.start.month - 1) // 3 + 1}"
    elif period.kind == PeriodKind.YEAR:
        when = str(period.start.year)
    else:
        when = f"{period.start:%Y%m%d}-{period.last_day:%Y%m%d}"
    scope = report.scope
    department = scope.department or (None if scope.user.is_admin_role else scope.user.department)
    if department is not None:
        where = slugify(department.code) or f"department-{department.pk}"
    else:
        where = "all" if scope.user.is_admin_role else "mine"
    return f"care-report-{when}-{where}.{extension}"


def report_pdf(report: CareReport, *, language: str | None = None) -> bytes:
    return render_pdf(
        "dashboard/pdf/report.html",
        {"report": report, "brand_name": current_brand().company_name},
        language=language,
    )


def report_xlsx(report: CareReport, *, language: str | None = None) -> bytes:
    with translation.override(language or translation.get_language()):
        book = Workbook()
        _kpi_sheet(book.active, report)
        _trend_sheet(book.create_sheet(), report)
        _campaign_sheet(book.create_sheet(), report)
        _event_sheet(book.create_sheet(), report)
        _feedback_sheet(book.create_sheet(), report)
        _breakdown_sheet(book.create_sheet(), report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- sheets -----------------------------------------------------------------------------


def _title(sheet, name: str) -> None:
    sheet.title = name.translate(str.maketrans("", "", "[]:*?/\\"))[:31]


def _text(value):
    return neutralise_cell("" if value is None else str(value))


def _headers(sheet, labels: list[str]) -> None:
    sheet.append([_text(label) for label in labels])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _append(sheet, values: list, formats: dict[int, str] | None = None) -> None:
    sheet.append(values)
    for column, code in (formats or {}).items():
        sheet.cell(row=sheet.max_row, column=column).number_format = code


def _widths(sheet, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _heading(sheet, report: CareReport) -> None:
    """Two lines naming the report, its scope and period, and a blank line."""
    period = report.period
    sheet.append([_text(f"{report.title} · {report.scope.label}")])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
    sheet.append(
        [
            _text(
                _("%(period)s, %(first)s to %(last)s; compared with %(previous)s")
                % {
                    "period": period.label,
                    "first": period.start.isoformat(),
                    "last": period.last_day.isoformat(),
                    "previous": report.figures.previous.label,
                }
            )
        ]
    )
    sheet.append([])


def _kpi_sheet(sheet, report: CareReport) -> None:
    _title(sheet, _("KPIs"))
    _heading(sheet, report)
    _headers(
        sheet,
        [
            _("Key"),
            _("Figure"),
            _("This period"),
            _("Previous period"),
            _("Change from previous"),
            _("Target"),
            _("Target met"),
            _("How it is computed"),
        ],
    )
    sheet.freeze_panes = sheet.cell(row=sheet.max_row + 1, column=3)
    for figure in report.figures.kpis:
        value_format = number_format(figure.unit, figure.value)
        _append(
            sheet,
            [
                _text(figure.key),
                _text(figure.label),
                figure.value,
                figure.previous,
                figure.change,
                figure.target,
                _text(meets_target_text(figure.meets_target)),
                _text(figure.note),
            ],
            {
                3: value_format,
                4: number_format(figure.unit, figure.previous),
                5: change_format(figure.unit, figure.change),
                6: number_format(figure.unit, figure.target),
            },
        )
        if figure.url:
            sheet.cell(row=sheet.max_row, column=2).hyperlink = absolute_url(figure.url)
    _widths(sheet, [18, 34, 16, 16, 16, 14, 12, 60])


def _trend_sheet(sheet, report: CareReport) -> None:
    _title(sheet, _("Trends"))
    columns = report.series_columns
    _headers(sheet, [_("Month"), *[column.label for column in columns]])
    sheet.freeze_panes = "B2"
    formats = {1: MONTH_FORMAT}
    formats.update({i: number_format(c.unit) for i, c in enumerate(columns, start=2)})
    for point in report.figures.series:
        _append(sheet, [point.month, *[getattr(point, c.key) for c in columns]], formats)
    _widths(sheet, [12, *[18] * len(columns)])


def _campaign_sheet(sheet, report: CareReport) -> None:
    _title(sheet, _("Campaigns"))
    _headers(
        sheet,
        [
            _("Campaign"),
            _("Sent"),
            _("Delivered"),
            _("Opened"),
            _("Clicked"),
            _("Replied"),
            _("Converted"),
            _("Conversion rate"),
            _("Unsubscribed"),
            _("SMS parts"),
            _("Link"),
        ],
    )
    sheet.freeze_panes = "B2"
    count = number_format(Unit.COUNT)
    formats = dict.fromkeys((2, 3, 4, 5, 6, 7, 9, 10), count)
    formats[8] = number_format(Unit.PERCENT)
    for campaign in report.campaigns:
        _append(
            sheet,
            [
                _text(campaign.name),
                campaign.sent,
                campaign.delivered,
                campaign.opened,
                campaign.clicked,
                campaign.replied,
                campaign.converted,
                conversion_rate(campaign),
                campaign.unsubscribed,
                campaign.sms_parts,
                _text(absolute_url(campaign.url)),
            ],
            formats,
        )
    _widths(sheet, [36, 10, 10, 10, 10, 10, 10, 14, 12, 10, 40])


def _event_sheet(sheet, report: CareReport) -> None:
    _title(sheet, _("Events"))
    _headers(
        sheet,
        [_("Event"), _("Date"), _("Status"), _("Budget"), _("Spent"), _("Budget used"), _("Link")],
    )
    sheet.freeze_panes = "B2"
    money = number_format(Unit.YUAN)
    formats = {2: DATE_FORMAT, 4: money, 5: money, 6: number_format(Unit.PERCENT)}
    for event in report.events:
        _append(
            sheet,
            [
                _text(event.name),
                event.starts_on,
                _text(event.status),
                event.budget_total,
                event.spent,
                budget_use(event),
                _text(absolute_url(event.url)),
            ],
            formats,
        )
    _widths(sheet, [36, 12, 14, 16, 16, 14, 40])


def _feedback_sheet(sheet, report: CareReport) -> None:
    feedback = report.feedback
    _title(sheet, _("Feedback"))
    _headers(sheet, [_("Figure"), _("Number")])
    percent = number_format(Unit.PERCENT)
    for label, value, code in [
        (_("Items opened in the period"), feedback.opened, None),
        (_("Items resolved or closed in the period"), feedback.resolved, None),
        (_("Open when the report was made"), feedback.open_now, None),
        (_("Of them past a deadline"), feedback.overdue, None),
        (_("Survey responses in the period"), feedback.scores.responses, None),
        (_("CSAT in the period"), feedback.scores.csat, percent),
        (_("NPS in the period"), feedback.scores.nps, "0.0"),
    ]:
        _append(sheet, [_text(label), value], {2: code} if code else None)
    sheet.append([])
    _headers(
        sheet, [_("Category"), _("New in the period"), _("Resolved in the period"), _("Open now")]
    )
    for row in feedback.categories:
        sheet.append([_text(row.label), row.opened, row.resolved, row.open])
    sheet.append([])
    _headers(sheet, [_("Items opened in the period, by status now"), _("Count")])
    for row in feedback.statuses:
        sheet.append([_text(row.label), row.count])
    sheet.append([])
    _headers(
        sheet,
        [
            _("Quarter"),
            _("Responses"),
            _("CSAT"),
            _("Change (points)"),
            _("NPS"),
            _("Change (points)"),
        ],
    )
    for row in feedback.quarters:
        _append(
            sheet,
            [
                _text(row.quarter),
                row.scores.responses,
                row.scores.csat,
                row.csat_change,
                row.scores.nps,
                row.nps_change,
            ],
            {3: percent, 4: "+0.0;-0.0;0.0", 5: "0.0", 6: "+0.0;-0.0;0.0"},
        )
    _widths(sheet, [44, 14, 12, 16, 12, 16])


def _breakdown_sheet(sheet, report: CareReport) -> None:
    _title(sheet, _("Breakdowns"))
    for breakdown in report.figures.breakdowns:
        sheet.append([_text(breakdown.label)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
        _headers(sheet, [_("Category"), _("Count"), _("Share")])
        for row in breakdown.rows:
            share = Decimal(row.count) / breakdown.total if breakdown.total else Decimal(0)
            _append(sheet, [_text(row.label), row.count, share], {2: "#,##0", 3: "0.0%"})
        _append(sheet, [_text(_("Total")), breakdown.total], {2: "#,##0"})
        sheet.cell(row=sheet.max_row, column=1).font = BOLD
        sheet.append([])
    _widths(sheet, [36, 12, 10])
