"""``zerocarbon cost`` end to end: readings imported into the default DuckDB store, priced by the shipped tariff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zerocarbon.cli import app

runner = CliRunner()
METER = "grid-meter-1.import_kwh"


@pytest.fixture(autouse=True)
def _site(site_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEROCARBON_SITE", str(site_file))


def _import(tmp_path: Path) -> None:
    # one reading a minute, 09:30-10:30 local on 2026-03-02 (01:30-02:30Z), 1 kWh per minute: the first half
    # hour is flat (0.65 yuan/kWh), the second peak (1.105)
    rows = [f"2026-03-02T{1 + (30 + m) // 60:02d}:{(30 + m) % 60:02d}:00Z,{METER},{1000.0 + m},kWh" for m in range(61)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(["timestamp,point,value,unit", *rows]) + "\n")
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 0, result.output


def test_cost_prices_each_quarter_hour_by_its_tariff_period(tmp_path: Path) -> None:
    _import(tmp_path)
    energy = runner.invoke(app, ["energy", METER, "--from", "2026-03-02T09:30", "--to", "2026-03-02T10:45",
                                 "--by", "15min", "--json"])
    quarters = json.loads(energy.output[energy.output.index("["):])
    kwh = [q["energy_kwh"] for q in quarters]
    assert sum(kwh) == pytest.approx(60.0)  # 60 one-minute steps of 1 kWh; the last one lands in 10:30-10:45
    result = runner.invoke(app, ["cost", "--period", "2026-03", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{"):])
    periods = {p["period"]: p for p in record["by_period"]}
    assert periods["flat"]["import_kwh"] == pytest.approx(kwh[0] + kwh[1])
    assert periods["peak"]["import_kwh"] == pytest.approx(kwh[2] + kwh[3] + kwh[4])
    expected = (kwh[0] + kwh[1]) * 0.65 + (kwh[2] + kwh[3] + kwh[4]) * 0.65 * 1.7
    assert record["energy_yuan"] == pytest.approx(expected, abs=0.01)
    assert record["demand_yuan"] == pytest.approx(max(kwh) / 0.25 * 32.0, abs=0.01)
    assert record["coverage"]["complete"] is False  # one hour of a month, and grid-meter-2 never reported
    text = runner.invoke(app, ["cost", "--period", "2026-03"]).output
    assert "warning: incomplete data" in text
    assert "warning: placeholder, not confirmed: flat price 0.65 yuan/kWh (zhuhai-ci-10kv-2026); demand charge 32" \
        in text
    assert [p["id"] for p in record["tariff_placeholders"]] == ["zhuhai-ci-10kv-2026", "gd-two-part-demand-2023"]


def test_a_bad_period_and_a_broken_tariff_file_say_what_to_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cost", "--period", "2026-13"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
    bad = tmp_path / "t.yaml"
    bad.write_text("version: x\nschedules: []\nenergy_prices: []\n")
    result = runner.invoke(app, ["cost", "--period", "2026-03", "--tariffs", str(bad)])
    assert result.exit_code == 2  # the error seam: a bad input file is a usage error, one line, no traceback
    assert f"zerocarbon cost: {bad}:2 schedules: List should have at least 1 item" in result.output
