"""The CSV/Excel writer behind every chart's and table's download buttons."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from dashboard.exports import file_bytes, table_of


def test_traces_become_one_column_per_series_on_their_shared_x() -> None:
    view = {"kind": "traces", "traces": [
        {"name": "光伏", "x": ["08:00", "08:15"], "y": [10.0, 12.5]},
        {"name": "电网", "x": ["08:00", "08:15"], "y": [900.0, 880.0]},
        {"name": "rank", "orientation": "h", "x": [5.0], "y": ["冷站系统"]},
    ]}
    frame = table_of(view)
    assert list(frame.columns) == ["x", "光伏", "电网", "rank"]
    assert frame.set_index("x").loc["08:15", "电网"] == 880.0
    assert frame.set_index("x").loc["冷站系统", "rank"] == 5.0  # a horizontal bar's label is its x


def test_spreadsheet_formulas_in_text_are_defused_and_numbers_stay_numbers() -> None:
    view = {"kind": "table", "rows": [["设备", "备注", "读数"], ["=HYPERLINK(\"x\")", "@SUM(A1)", "-5"]]}
    csv_text = file_bytes(table_of(view), "csv", "t").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'@SUM(A1)" in csv_text and ",-5.0" in csv_text
    sheet = load_workbook(io.BytesIO(file_bytes(table_of(view), "xlsx", "alarm-history"))).active
    assert [c.value for c in sheet[2]] == ["'=HYPERLINK(\"x\")", "'@SUM(A1)", -5]
    assert sheet.title == "alarm-history"

