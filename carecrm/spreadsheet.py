"""Cells that spreadsheets will not run as formulas (OWASP "CSV injection").

Every CSV/XLSX CareCRM writes — exports, segment exports, rejected-row reports — passes
its cells through here, so Excel or WPS shows ``=HYPERLINK(…)`` as text.
"""

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Text starting with = + - @ tab or CR gets a leading apostrophe; numbers and dates
    stay typed (they cannot hold a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def spreadsheet_text(value: Any) -> str:
    """The cell as neutralised text (for CSV writers that want strings; None → "")."""
    return neutralise_cell("" if value is None else str(value))
