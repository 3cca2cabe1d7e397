"""Reading an uploaded spreadsheet: CSV in UTF-8 (with or without BOM), GBK/GB18030 or
UTF-16, any of the usual delimiters; or the first sheet of an XLSX workbook.

Formula cells are never evaluated: an XLSX formula is read as its literal text ("=1+1"),
exactly as a CSV cell would be, and validated like any other text.

Every limit is checked before the work it protects (issue 13): the zip directory before
openpyxl inflates anything, the header line's length and its number of columns before any
per-column work, so a hostile file is refused in milliseconds and bounded memory.

Neither format is ever held in memory whole: a CSV is decoded incrementally (one pass
over the bytes picks the encoding and counts the lines, the second yields the rows), an
XLSX sheet is streamed by openpyxl's read-only mode and its shared strings are kept in a
temporary file with only their offsets in memory.
"""

import codecs
import csv
import io
import os
import tempfile
import zipfile
from array import array
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
READ_BYTES = 1024 * 1024
# No physical line of an honest file is this long (200 columns of a full Excel cell each
# would be 6.5 million; real rows are well under a thousand characters).
MAX_LINE_CHARS = 4 * 1024 * 1024
SHORT_STRING_BYTES = 64
SHORT_STRINGS_KEPT = 10_000


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
    try:
        if sum(map(len, cells)) <= limit:  # the usual row, in one C-level pass
            return ""
    except TypeError:  # a number or a date from a spreadsheet
        pass
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


class _Bytes(io.RawIOBase):
    """The upload as a raw stream that stops after ``IMPORT_MAX_BYTES`` + 1 bytes and
    never closes the upload itself (a ``TextIOWrapper`` closes what it wraps)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._left = settings.IMPORT_MAX_BYTES + 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._handle.read(min(len(buffer), self._left)) if self._left > 0 else b""
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _not_text() -> ImportFileError:
    return ImportFileError(
        _("The file is not readable text: save it as CSV in UTF-8 or GBK, or as XLSX.")
    )


def detect_encoding(handle: BinaryIO) -> tuple[str, int]:
    """The file's encoding and its number of line feeds, in passes of bounded memory over
    the bytes. UTF-8 is tried first because a GBK reading of UTF-8 bytes rarely fails
    outright but yields nonsense; a BOM decides at once."""
    handle.seek(0)
    prefix = handle.read(4)
    if prefix.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif prefix.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        handle.seek(0)
        raw = io.BufferedReader(_Bytes(handle), READ_BYTES)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        line_feeds = 0
        try:
            while chunk := raw.read(READ_BYTES):
                line_feeds += decoder.decode(chunk).count("\n")
            line_feeds += decoder.decode(b"", final=True).count("\n")
        except UnicodeDecodeError:
            continue
        finally:
            handle.seek(0)
        return encoding, line_feeds
    raise _not_text()


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a small file held in memory and the encoding it was in (the same
    choice ``detect_encoding`` makes for a stream)."""
    encoding, _line_feeds = detect_encoding(io.BytesIO(data))
    return data.decode(encoding), encoding


def _delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _first_line(text: io.TextIOBase) -> list[str]:
    """The file's first line up to its line feed, as the pieces ``readline`` returns
    (a lone CR ends a piece, as it ends a line for the CSV reader); read no further than
    ``MAX_HEADER_CHARS`` + 1 characters."""
    pieces: list[str] = []
    length = 0
    while length <= MAX_HEADER_CHARS + 1:
        piece = text.readline(MAX_HEADER_CHARS + 2).replace("\x00", "")
        if not piece:
            break
        pieces.append(piece)
        length += len(piece)
        if piece.endswith("\n"):
            break
    return pieces


def _lines(text: io.TextIOBase, first_number: int) -> Iterator[str]:
    """The remaining physical lines, NULs dropped, each at most ``MAX_LINE_CHARS``."""
    number = first_number
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(
                _("Line %(line)d is longer than %(max)d characters: no row can be that long.")
                % {"line": number, "max": MAX_LINE_CHARS}
            )
        # A NUL means nothing in a text file, and PostgreSQL cannot store one in any text
        # column (not even in the rejected-rows report): it is dropped on reading.
        yield line.replace("\x00", "") if "\x00" in line else line


def _csv_table(handle: BinaryIO) -> Table:
    encoding, line_feeds = detect_encoding(handle)
    text = io.TextIOWrapper(
        io.BufferedReader(_Bytes(handle), READ_BYTES),
        encoding=encoding,
        errors="strict",
        newline="",
    )
    try:
        pieces = _first_line(text)
        first = "".join(pieces)
        first_line = first[:-1] if first.endswith("\n") else first
        if len(first_line) > MAX_HEADER_CHARS:
            raise ImportFileError(
                _("The first line is longer than %(max)d characters: it cannot be a header row.")
                % {"max": MAX_HEADER_CHARS}
            )
        lines = _lines(text, len(pieces))
        reader = csv.reader(_chain(pieces, lines), delimiter=_delimiter(first_line))
        header_number, header = 0, None
        for number, cells in enumerate(reader, start=1):
            if not _is_blank(cells):
                header_number, header = number, cells
                break
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
    except UnicodeDecodeError as exc:
        raise _not_text() from exc
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
        except UnicodeDecodeError as exc:
            raise _not_text() from exc

    estimate = max(0, line_feeds - (header_number - 1))
    return Table(column_keys(header), rows(), estimate, "csv", encoding)


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


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


class SharedStrings:
    """A workbook's shared-string table on disk: the strings in a temporary file, only
    their offsets in memory (8 bytes each). openpyxl would keep every string of
    ``sharedStrings.xml`` — up to the 200 MB the archive may expand to — as Python
    objects for as long as the sheet is read."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._offsets = array("Q", [0])
        self._written = 0
        # Short strings repeat (性别, 来源, 是/否): those are kept, long ones read again.
        self._short: dict[int, str] = {}

    def append(self, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._written += len(data)
        self._offsets.append(self._written)

    def finish(self) -> None:
        self._file.flush()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        text = self._short.get(index)
        if text is not None:
            return text
        if not 0 <= index < len(self):
            raise IndexError(index)
        start, end = self._offsets[index], self._offsets[index + 1]
        text = os.pread(self._file.fileno(), end - start, start).decode("utf-8", "surrogatepass")
        if end - start <= SHORT_STRING_BYTES and len(self._short) < SHORT_STRINGS_KEPT:
            self._short[index] = text
        return text

    def close(self) -> None:
        self._file.close()


def _load_workbook(handle: BinaryIO):
    """openpyxl's ``load_workbook(read_only=True, data_only=False)`` with the shared
    strings on disk (``SharedStrings``); returns the workbook and the strings to close."""
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    strings = SharedStrings()
    string_tag = f"{{{SHEET_MAIN_NS}}}si"

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    for _event, node in iterparse(source):
                        if node.tag == string_tag:
                            strings.append(Text.from_tree(node).content.replace("x005F_", ""))
                            node.clear()
            strings.finish()
            self.shared_strings = strings

    try:
        reader = Reader(handle, read_only=True, keep_vba=False, data_only=False)
        reader.read()
    except BaseException:
        strings.close()
        raise
    return reader.wb, strings


def _xlsx_table(handle: BinaryIO) -> Table:
    check_xlsx_archive(handle)
    try:
        workbook, strings = _load_workbook(handle)
    except Exception as exc:  # openpyxl raises many types for a broken archive
        raise ImportFileError(
            _("The XLSX file cannot be opened: %(error)s") % {"error": exc}
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        strings.close()
        raise ImportFileError(_("The workbook has no sheet."))
    values = sheet.iter_rows(values_only=True)
    header_number, header = 0, None
    for number, cells in enumerate(values, start=1):
        if not _is_blank(cells):
            header_number, header = number, list(cells)
            break
    if header is None:
        workbook.close()
        strings.close()
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
            strings.close()

    estimate = max(0, (sheet.max_row or 0) - header_number)
    return Table(column_keys(header), rows(), estimate, "xlsx")


def open_table(handle: BinaryIO | bytes, *, name: str = "") -> Table:
    """Read a seekable binary file as XLSX when it is a zip archive, else as delimited text.
    Both are streamed from the file (at most ``IMPORT_MAX_BYTES`` + 1 bytes of a CSV are
    read; the caller has refused a larger file by its size already). The rows must be
    read while the file is open."""
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
    if _blank_bytes(handle):
        raise ImportFileError(_("The file is empty."))
    return _csv_table(handle)


def _blank_bytes(handle: BinaryIO) -> bool:
    """Whether the file holds nothing but ASCII white space (read in pieces)."""
    raw = io.BufferedReader(_Bytes(handle), READ_BYTES)
    try:
        while chunk := raw.read(READ_BYTES):
            if chunk.strip():
                return False
        return True
    finally:
        handle.seek(0)
