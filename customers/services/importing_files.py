"""Reading an uploaded spreadsheet: CSV in UTF-8 (with or without BOM), GBK/GB18030 or
UTF-16, any of the usual delimiters; or the first sheet of an XLSX workbook.

Formula cells are never evaluated: an XLSX formula is read as its literal text ("=1+1"),
exactly as a CSV cell would be, and validated like any other text.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format


class ImportFileError(ValueError):
    """The file as a whole cannot be read; ``str(exc)`` tells the user why."""


@dataclass
class Table:
    """The header and the non-blank data rows of one sheet. ``rows`` yields
    ``(row_number, cells)`` with the row number a user sees in Excel (header = its row)."""

    columns: list[str]
    rows: Iterator[tuple[int, list]]
    estimated_rows: int
    format: str
    encoding: str = ""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (how spreadsheets name columns)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_keys(header: list) -> list[str]:
    """Header cells as unique column names: blank headers become "Column C", repeated ones
    get " (2)", " (3)" so a mapping can name each column unambiguously. Blank header cells
    at the end are spreadsheet noise, not columns."""
    cells = list(header)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    keys: list[str] = []
    for index, cell in enumerate(cells):
        base = str(cell).strip().lstrip("\ufeff").strip() if cell is not None else ""
        # not translated: the worker must derive the same names as the upload page did
        base = base or f"Column {column_letter(index)}"
        key, copy = base, 1
        while key in keys:
            copy += 1
            key = f"{base} ({copy})"
        keys.append(key)
    return keys


def _is_blank(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def decode_text(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in. UTF-8 is tried first because a GBK
    reading of UTF-8 bytes rarely fails outright but yields nonsense."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The file is not readable text: save it as CSV in UTF-8 or GBK, or as XLSX.")
    )


def _delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _csv_table(data: bytes) -> Table:
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not readable text: save it as CSV in UTF-8 or GBK, or as XLSX.")
        ) from exc
    first_line = text[: text.find("\n")] if "\n" in text else text
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header_number, header = 0, None
        for number, cells in enumerate(reader, start=1):
            if not _is_blank(cells):
                header_number, header = number, cells
                break
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    if header is None:
        raise ImportFileError(_("The file is empty."))

    def rows() -> Iterator[tuple[int, list]]:
        number = header_number
        try:
            for cells in reader:
                number += 1
                if cells and "".join(cells).strip():
                    yield number, cells
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file is malformed near row %(row)d: %(error)s")
                % {"row": number, "error": exc}
            ) from exc

    estimate = max(0, text.count("\n", len(first_line)) - (header_number - 1))
    return Table(column_keys(header), rows(), estimate, "csv", encoding)


def _xlsx_table(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken archive
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": exc}
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise ImportFileError(_("The workbook has no sheet."))
    values = sheet.iter_rows(values_only=True)
    header_number, header = 0, None
    for number, cells in enumerate(values, start=1):
        if not _is_blank(cells):
            header_number, header = number, list(cells)
            break
    if header is None:
        workbook.close()
        raise ImportFileError(_("The file is empty."))

    def rows() -> Iterator[tuple[int, list]]:
        number = header_number
        try:
            for cells in values:
                number += 1
                if not _is_blank(cells):
                    yield number, list(cells)
        finally:
            workbook.close()

    estimate = max(0, (sheet.max_row or 0) - header_number)
    return Table(column_keys(header), rows(), estimate, "xlsx")


def open_table(data: bytes, *, name: str = "") -> Table:
    """Read ``data`` as XLSX when it is a zip archive, else as delimited text."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _xlsx_table(data)
    if data.startswith(OLE_MAGIC) or name.lower().endswith(".xls"):
        raise ImportFileError(
            _("Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV.")
        )
    return _csv_table(data)
