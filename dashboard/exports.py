"""CSV and Excel downloads of what a chart or table shows, for every chart and table of the console.

The browser sends what it draws (each trace's x/y, a Sankey's links, a table's cells: ``assets/theme.js``
``exportView``) and this module turns it into one table and a file. What is downloaded is exactly what is on
screen, in the reader's language, so nobody has to rebuild a chart in a spreadsheet.

Text cells that a spreadsheet would run as a formula (``= + - @``, OWASP's CSV-injection list) get a leading
apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            return float(value)  # "-5" is a number, not a formula
        except ValueError:
            return "'" + value
    return value


def table_of(view: dict[str, Any]) -> pd.DataFrame:
    """One table from the browser's description: ``{"kind": "table", "rows": [[...], ...]}`` (first row the
    header), ``{"kind": "sankey", "links": [[source, target, value], ...]}`` or ``{"kind": "traces", "traces":
    [{"name", "x", "y", "orientation"}, ...]}`` (one column per trace on a shared x, as the chart reads)."""
    kind = view.get("kind")
    if kind == "table":
        rows = view.get("rows") or [[]]
        frame = pd.DataFrame(rows[1:], columns=rows[0] if rows else None)
    elif kind == "sankey":
        frame = pd.DataFrame(view.get("links") or [], columns=["source", "target", "kWh"])
    else:
        columns: dict[str, pd.Series] = {}
        for n, trace in enumerate(view.get("traces") or []):
            x, y = trace.get("x") or [], trace.get("y") or []
            if trace.get("orientation") == "h":
                x, y = y, x
            name = str(trace.get("name") or f"series {n + 1}")
            columns[name] = pd.Series(list(y), index=pd.Index(list(x), name="x"))
        frame = pd.concat(columns, axis=1).reset_index() if columns else pd.DataFrame()
    return frame.apply(lambda col: col.map(_safe)) if not frame.empty else frame


def file_bytes(frame: pd.DataFrame, fmt: str, sheet: str) -> bytes:
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")  # the BOM lets Excel read Chinese labels as UTF-8
    if fmt == "xlsx":
        out = io.BytesIO()
        with pd.ExcelWriter(out, engine="xlsxwriter",
                            engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xl:
            frame.to_excel(xl, sheet_name=sheet[:31] or "data", index=False)
        return out.getvalue()
    raise ValueError(f"export format {fmt!r}: use csv or xlsx")
