"""A segment's trend table as CSV or XLSX: the same figures as the Trends tab, every text
cell formula-safe (``carecrm.spreadsheet``), the export audited on the segment."""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from carecrm.core.audit import audit_record
from carecrm.core.models import AuditAction
from carecrm.spreadsheet import neutralise_cell, spreadsheet_text
from segmentation.models import Segment
from segmentation.selectors.trends import MonthRange, SegmentTrends, segment_trends

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "¥#,##0.00"
PERCENT_FORMAT = '0.0" %"'
COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.00"


def trends_csv(trends: SegmentTrends) -> bytes:
    headers, rows = trends.table()
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow([spreadsheet_text(h) for h in headers])
    for row in rows:
        writer.writerow([spreadsheet_text(value) for value in row])
    return ("\ufeff" + handle.getvalue()).encode("utf-8")


def _text(value):
    if isinstance(value, str):
        return neutralise_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def trends_xlsx(trends: SegmentTrends) -> bytes:
    headers, rows = trends.table()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Trends")[:31]
    sheet.cell(row=1, column=1, value=_text(trends.segment.name)).font = Font(bold=True, size=13)
    sheet.cell(
        row=2,
        column=1,
        value=_text(f"{trends.range.first:%Y-%m} – {trends.range.last:%Y-%m}"),
    )
    for column, header in enumerate(headers, 1):
        sheet.cell(row=4, column=column, value=_text(header)).font = Font(bold=True)
    formats = [None, MONEY_FORMAT, COUNT_FORMAT, COUNT_FORMAT, RATIO_FORMAT]
    for number, row in enumerate(rows, 5):
        for column, value in enumerate(row, 1):
            cell = sheet.cell(row=number, column=column, value=_text(value))
            kind = formats[column - 1] if column <= len(formats) else PERCENT_FORMAT
            if kind and value is not None:
                cell.number_format = kind
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 16
    sheet.freeze_panes = "B5"
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def segment_trends_export(
    *, segment: Segment, user, month_range: MonthRange, file_format: str, request=None
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the trend table for the members ``user``
    may see; the export is audited."""
    if file_format not in FORMATS:
        raise ValidationError(
            _("Export as CSV or XLSX, not “%(format)s”.") % {"format": file_format}
        )
    trends = segment_trends(segment, user=user, month_range=month_range)
    if file_format == "csv":
        content, content_type = trends_csv(trends), "text/csv; charset=utf-8"
    else:
        content, content_type = trends_xlsx(trends), XLSX_TYPE
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=segment,
        detail={"trends": file_format, **month_range.as_query()},
        request=request,
    )
    name = f"segment-{segment.pk}-trends-{month_range.first:%Y%m}-{month_range.last:%Y%m}"
    return content, content_type, f"{name}.{file_format}"
