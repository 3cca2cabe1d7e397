"""Reading an uploaded spreadsheet: CSV in UTF-8 (with or without BOM), GBK/GB18030 or
UTF-16, any of the usual delimiters; or the first sheet of an XLSX workbook.

Formula cells are never evaluated: an XLSX formula is read as its literal text ("=1+1"),
exactly as a CSV cell would be, and validated like any other text.

Every limit is checked before the work it protects (issue 13): the zip directory before
openpyxl inflates anything, the header line's length and its number of columns before any
per-column work, so a hostile file is refused in milliseconds and bounded memory.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format
MAX_HEADER_CHARS = 64 * 1024
# An honest workbook has a few dozen parts; sharedStrings.xml of real text compresses about
# 10:1, a zip bomb a thousand to one.
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1024 * 1024


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
    at the end are spreadsheet noise, not columns. More than ``IMPORT_MAX_COLUMNS`` columns
    are refused before any per-column work; the de-duplication is linear (a set and, per
    name, the next copy number to try)."""
    cells = list(header)
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    if len(cells) > settings.IMPORT_MAX_COLUMNS:
        raise ImportFileError(
            _(
                "The header row has %(count)d columns; at most %(max)d are allowed. "
                "Remove the columns you do not import."
            )
            % {"count": len(cells), "max": settings.IMPORT_MAX_COLUMNS}
        )
    keys: list[str] = []
    taken: set[str] = set()
    next_copy: dict[str, int] = {}
    for index, cell in enumerate(cells):
        base = str(cell).strip().lstrip("\ufeff").strip() if cell is not None else ""
        # not translated: the worker must derive the same names as the upload page did
        base = base or f"Column {column_letter(index)}"
        key = base
        if key in taken:
            copy = next_copy.get(base, 1)
            while key in taken:
                copy += 1
                key = f"{base} ({copy})"
            next_copy[base] = copy
        taken.add(key)
        keys.append(key)
    return keys


def oversized_cell(cells: list, columns: list[str]) -> str:
    """The reason a row is rejected when one of its cells is longer than any spreadsheet
    cell can be (``IMPORT_MAX_CELL_CHARS``), else "". Checked on every cell, mapped or
    not, so a rejected row's stored copy stays bounded too."""
    limit = settings.IMPORT_MAX_CELL_CHARS
    for index, cell in enumerate(cells):
        if isinstance(cell, str) and len(cell) > limit:
            column = columns[index] if index < len(columns) else column_letter(index)
            return _("Column %(column)s holds more than %(max)d characters") % {
                "column": column,
                "max": limit,
            }
    return ""


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
    # A NUL means nothing in a text file, and PostgreSQL cannot store one in any text
    # column (not even in the rejected-rows report): it is dropped on reading.
    text = text.replace("\x00", "")
    first_line = text[: text.find("\n")] if "\n" in text else text
    if len(first_line) > MAX_HEADER_CHARS:
        raise ImportFileError(
            _("The first line is longer than %(max)d characters: it cannot be a header row.")
            % {"max": MAX_HEADER_CHARS}
        )
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


def check_xlsx_archive(handle: BinaryIO) -> None:
    """Refuse a zip bomb from its directory alone, before anything is inflated: too many
    parts, odd paths, a total uncompressed size over ``IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES``
    or a big part compressed more than 100:1."""
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": exc}
        ) from exc
    finally:
        handle.seek(0)
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(
            _("The XLSX file has %(count)d parts; a workbook has at most %(max)d.")
            % {"count": len(members), "max": XLSX_MAX_MEMBERS}
        )
    for member in members:
        name = member.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/"):
            raise ImportFileError(
                _("The XLSX file contains an unexpected path: %(name)s") % {"name": name[:100]}
            )
        if name.lower().endswith((".zip", ".xlsx", ".jar")):
            raise ImportFileError(
                _("The XLSX file contains another archive: %(name)s") % {"name": name[:100]}
            )
        if member.file_size > XLSX_RATIO_FROM_BYTES and member.file_size > XLSX_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise ImportFileError(
                _(
                    "The XLSX file looks like a zip bomb: %(name)s expands more than "
                    "%(ratio)d times."
                )
                % {"name": name[:100], "ratio": XLSX_MAX_RATIO}
            )
    total = sum(member.file_size for member in members)
    limit = settings.IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES
    if total > limit:
        raise ImportFileError(
            _(
                "The XLSX file expands to %(size)d MB, more than %(max)d MB: "
                "split it into several files."
            )
            % {"size": total // (1024 * 1024), "max": limit // (1024 * 1024)}
        )


def _xlsx_table(handle: BinaryIO) -> Table:
    from openpyxl import load_workbook

    check_xlsx_archive(handle)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=False)
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


def open_table(handle: BinaryIO | bytes, *, name: str = "") -> Table:
    """Read a seekable binary file as XLSX when it is a zip archive, else as delimited text.
    An XLSX is streamed from the file by openpyxl's read-only mode; a CSV is read whole,
    so the caller must have checked its size first (``IMPORT_MAX_BYTES``)."""
    if isinstance(handle, bytes):
        handle = io.BytesIO(handle)
    handle.seek(0)
    start = handle.read(len(XLSX_MAGIC))
    handle.seek(0)
    if start.startswith(XLSX_MAGIC):
        return _xlsx_table(handle)
    if start.startswith(OLE_MAGIC) or name.lower().endswith(".xls"):
        raise ImportFileError(
            _("Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV.")
        )
    data = handle.read(settings.IMPORT_MAX_BYTES + 1)
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    return _csv_table(data)
