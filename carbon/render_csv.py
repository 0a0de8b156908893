"""CSV report: every table in one long-format file (table, row, column, unit, value), numbers unquoted.

Text cells that a spreadsheet would run as a formula (starting with ``= + - @`` tab or CR) get a leading
apostrophe (OWASP "CSV Injection"); numbers are never touched, so ``-5`` stays a number.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from carbon.canonical import canonical
from carbon.tables import report_tables

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """OWASP CSV-injection defence for one text cell."""
    return "'" + value if value.startswith(FORMULA_START) else value


def cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if value is None:
        return ""
    return safe_text(str(value))


def render_csv(report: dict[str, Any], out: Path) -> Path:
    report = canonical(report)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["table", "row", "column", "unit", "value"])
        for table in report_tables(report):
            for i, row in enumerate(table.rows):
                for column, value in zip(table.columns, row, strict=True):
                    writer.writerow([table.id, i + 1, column.key, column.unit, cell(value)])
    return out
