"""Excel report: one sheet per table, bilingual headers with units, real numbers in cells, no formulas.

XlsxWriter with ``strings_to_formulas``/``strings_to_urls``/``strings_to_numbers`` off and every text written by
``write_string`` (research/ecosystem.md §2): a name like ``=HYPERLINK(...)`` stays text. Text cells also get the
OWASP apostrophe prefix so a CSV re-export from Excel stays safe. ``constant_memory`` writes row by row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from carbon.canonical import canonical
from carbon.render_csv import safe_text
from carbon.tables import report_tables

OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False}


def render_xlsx(report: dict[str, Any], out: Path) -> Path:
    report = canonical(report)
    workbook = xlsxwriter.Workbook(str(out), OPTIONS)
    header = workbook.add_format({"bold": True, "text_wrap": True, "font_name": "Noto Sans CJK SC"})
    title = workbook.add_format({"bold": True, "font_size": 13})
    for table in report_tables(report):
        sheet = workbook.add_worksheet(table.id[:31])
        sheet.write_string(0, 0, f"{table.zh} {table.en} — {report['site']['name_zh']} {report['period']['label']}",
                           title)
        for col, column in enumerate(table.columns):
            sheet.write_string(1, col, column.header, header)
            sheet.set_column(col, col, max(12, min(40, len(column.header) + 2)))
        for r, row in enumerate(table.rows, start=2):
            for col, value in enumerate(row):
                _write(sheet, r, col, value)
    workbook.close()
    return out


def _write(sheet: Worksheet, row: int, col: int, value: object) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif value is None:
        sheet.write_blank(row, col, None)
    else:
        sheet.write_string(row, col, safe_text(str(value)))
