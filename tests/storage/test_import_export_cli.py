"""``zerocarbon import``, ``export`` and ``energy`` end to end through the CLI and the default DuckDB store."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from zerocarbon.cli import app

runner = CliRunner()
METER = "grid-meter-1.import_kwh"


@pytest.fixture(autouse=True)
def _site(site_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEROCARBON_SITE", str(site_file))


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def write_csv(path: Path, rows: list[str], header: str = "timestamp,point,value,unit") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def meter_rows(n: int, start_kwh: float = 5000.0) -> list[str]:
    # one reading a minute from 08:00 local on 2026-03-01, 0.5 kWh per minute
    return [f"2026-03-01T00:{m:02d}:00Z,{METER},{start_kwh + 0.5 * m},kWh" for m in range(n)]


def test_import_then_energy_reports_measured_kwh(tmp_path: Path) -> None:
    result = run("import", str(write_csv(tmp_path / "h.csv", meter_rows(60))))
    assert result.exit_code == 0, result.output
    assert "60 readings imported" in result.output
    result = run("energy", METER, "--from", "2026-03-01T08:00", "--to", "2026-03-01T09:00", "--by", "hour", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output[result.output.index("[") :])
    assert records[0]["energy_kwh"] == pytest.approx(29.5)  # 59 steps of 0.5 kWh
    assert records[0]["quality"] == "measured" and records[0]["start"] == "2026-03-01T08:00:00+08:00"
    assert "read in the site's zone" in result.output  # --from had no zone


def test_bad_rows_are_reported_by_line_and_nothing_is_written(tmp_path: Path) -> None:
    rows = meter_rows(3) + [
        "2026-03-01T00:05:00Z,grid-meter-1.import_kwhh,1,kWh",  # line 5: unknown point
        f"2026-03-01T00:06:00Z,{METER},12a,kWh",  # line 6: not a number
        f"2026-03-01T00:07:00Z,{METER},1,Wh",  # line 7: wrong unit
        f"yesterday,{METER},1,kWh",  # line 8: not a timestamp
    ]
    result = run("import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 2  # bad input
    assert "bad.csv:5: unknown point 'grid-meter-1.import_kwhh' (did you mean 'grid-meter-1.import_kwh'?)" in \
        result.output
    assert "bad.csv:6: value '12a'" in result.output and "bad.csv:7: unit 'Wh'" in result.output
    assert "bad.csv:8: timestamp 'yesterday'" in result.output
    assert "nothing was written" in result.output
    energy = run("energy", METER, "--from", "2026-03-01", "--to", "2026-03-02", "--json")
    assert json.loads(energy.output[energy.output.index("[") :])[0]["quality"] == "gap"  # no data at all


def test_naive_timestamps_use_site_zone_and_reimport_is_idempotent(tmp_path: Path) -> None:
    rows = [f"2026-03-01 08:{m:02d}:00,{METER},{100 + m}," for m in range(10)]  # local time, unit left empty
    path = write_csv(tmp_path / "naive.csv", rows)
    first = run("import", str(path))
    assert "10 timestamp(s) had no zone; read as Asia/Shanghai" in first.output
    run("import", str(path))
    out = tmp_path / "out.csv"
    result = run("export", "--from", "2026-03-01T00:00Z", "--to", "2026-03-01T01:00Z", "--points", "grid-meter-1.*",
                 "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert len(frame) == 10  # imported twice, stored once
    assert frame["time"].iloc[0] == "2026-03-01T08:00:00+08:00"  # 08:00 local = 00:00 UTC
    assert list(frame.columns) == ["time", "point_id", "unit", "value", "quality"]
    assert set(frame["unit"]) == {"kWh"}


def test_xlsx_import_and_xlsx_and_parquet_exports(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["timestamp", "point", "value"])
    for m in range(5):
        sheet.append([f"2026-03-01T00:0{m}:00+00:00", METER, 10.0 + m])
    book.save(tmp_path / "h.xlsx")
    assert run("import", str(tmp_path / "h.xlsx")).exit_code == 0
    for fmt in ("xlsx", "parquet"):
        result = run("export", "--from", "2026-03-01", "--to", "2026-03-02", "--points", METER, "--resolution",
                     "hour", "--format", fmt, "--out", str(tmp_path / f"o.{fmt}"))
        assert result.exit_code == 0, result.output
    hours = pq.read_table(tmp_path / "o.parquet").to_pandas()
    assert hours["increase"].tolist() == [4.0] and hours["count"].tolist() == [5]  # 10 -> 14 kWh
    sheet = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert sheet.cell(1, 1).value == "time (Asia/Shanghai)" and sheet.cell(2, 2).value == METER


def test_export_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    from storage.exporter import XlsxSink

    sink = XlsxSink(tmp_path / "x.xlsx", "Asia/Shanghai")
    sink.write(pd.DataFrame({"time": pd.to_datetime(["2026-03-01T00:00Z"]), "point_id": ["=1+1"], "unit": ["kWh"],
                             "value": [1.0], "quality": ["good"]}))
    sink.close()
    cell = openpyxl.load_workbook(tmp_path / "x.xlsx").active.cell(2, 2)
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_energy_names_an_unknown_point() -> None:
    result = run("energy", "grid-meter-1.import_kw", "--from", "2026-03-01", "--to", "2026-03-02")
    assert result.exit_code != 0 and "grid-meter-1.import_kwh" in result.output


def test_raw_export_reads_a_day_at_a_time() -> None:
    from storage.exporter import windows

    start, end = pd.Timestamp("2026-01-01T00:00Z"), pd.Timestamp("2027-01-01T00:00Z")
    raw = list(windows(start, end, "raw"))
    assert len(raw) == 365 and raw[0] == (start, start + pd.Timedelta(days=1)) and raw[-1][1] == end
    assert len(list(windows(start, end, "day"))) == 1  # daily rollups of a year are small: one read


def test_import_of_an_unknown_format_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text("{}")
    result = run("import", str(path))
    assert result.exit_code == 2 and "give a .csv or .xlsx file" in result.output


def test_import_without_required_columns_names_them(tmp_path: Path) -> None:
    result = run("import", str(write_csv(tmp_path / "h.csv", ["2026-03-01T00:00Z,1"], header="timestamp,value")))
    assert result.exit_code == 2 and "missing column(s) point;" in result.output


def test_csv_saved_by_excel_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftimestamp,point,value\n".encode() + f"2026-03-01T00:00:00Z,{METER},1.0\n".encode())
    result = run("import", str(path))
    assert result.exit_code == 0, result.output
    assert "1 readings imported" in result.output
