"""From a real DuckDB store filled by the simulator's backfill to an issued, archived report; counter resets."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from carbon import issue as wiring
from carbon.inputs import load_inputs
from carbon.period import parse_period
from simulators.backfill import backfill
from storage.duckdb_store import DuckDBStore
from zerocarbon.cli import app

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 2026-10-01 00:00 Asia/Shanghai
END = datetime(2026, 10, 2, 16, 0, tzinfo=UTC)  # two local days


@pytest.fixture(scope="module")
def filled_store(site, tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("carbon-store") / "zerocarbon.duckdb"
    store = DuckDBStore(path, timezone=site.info.timezone)
    backfill(store, site, START, END, step="5min", seed=1)
    store.update_rollups()
    store.close()
    return path


@pytest.fixture(scope="module")
def files():  # type: ignore[no-untyped-def]
    return wiring.load_report_files(ROOT / "config" / "site.yaml", None, None)


def test_inputs_from_the_store_cover_roles_weather_and_visitors(filled_store, site):  # type: ignore[no-untyped-def]
    store = DuckDBStore(filled_store, timezone=site.info.timezone)
    try:
        inputs = load_inputs(store, site, date(2026, 10, 1), date(2026, 10, 3))
    finally:
        store.close()
    roles = set(inputs.energy["role"])
    assert {"grid_import", "pv", "wind", "consumption", "ev_charging"} <= roles
    assert len(inputs.energy["start"].unique()) == 48  # two local days of hours
    assert inputs.daily["temperature_c"].notna().all() and (inputs.daily["visitors"] > 0).all()
    assert inputs.weather["poa_w_per_m2"].max() > 200  # daytime irradiance at noon


def test_issued_report_from_store_names_subsystems_and_flags_missing_days(filled_store, site, files):  # type: ignore[no-untyped-def]
    store = DuckDBStore(filled_store, timezone=site.info.timezone)
    try:
        report = wiring.issue_report(store, files, parse_period("2026-10"), command="test")
    finally:
        store.close()
    assert report["energy_kwh"]["grid_import"] > 0 and report["energy_kwh"]["pv"] > 0
    names = {r["name_zh"] for r in report["subsystems"]}
    assert "冷站系统" in names and len(report["subsystems"]) >= 15
    # data for 2 of 31 days: the other 29 days are gaps, not zeros passed off as measured
    assert report["data_quality"]["overall"]["gap_share"] == pytest.approx(29 / 31, abs=0.02)
    pr = report["strategies"]["efficiency"]["pv_performance"]["performance_ratio"]
    assert 0.5 < pr < 1.0
    assert report["strategies"]["demand_reduction"]["status"].startswith("insufficient baseline data")


def test_cli_writes_json_and_archives_without_rewriting(filled_store, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    data_dir = filled_store.parent
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ZEROCARBON_SITE", str(ROOT / "config" / "site.yaml"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "oct.json"
    args = ["report", "--period", "2026-10", "--format", "json", "--out", str(out), "--quiet"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["reproduce"]["command"] == "zerocarbon report --period 2026-10"
    csv_out = tmp_path / "oct.csv"  # another format of the same report joins the same archive entry
    assert CliRunner().invoke(app, [*args[:4], "csv", "--out", str(csv_out), "--quiet"]).exit_code == 0
    archived = list((data_dir / "reports" / "2026-10").glob("*/report.json"))
    issued = out.read_bytes()
    assert len(archived) == 1 and archived[0].read_bytes() == issued
    assert (archived[0].parent / "report.csv").read_bytes() == csv_out.read_bytes()
    # a factor change makes a new archive entry; the issued one stays byte for byte
    factors = tmp_path / "f.yaml"
    factors.write_text((ROOT / "config" / "emission_factors.yaml").read_text().replace("0.4042", "0.4100"))
    second = CliRunner().invoke(app, [*args, "--factors", str(factors)])
    assert second.exit_code == 0, second.output
    entries = sorted((data_dir / "reports" / "2026-10").glob("*/report.json"))
    assert len(entries) == 2 and archived[0] in entries
    assert archived[0].read_bytes() == issued  # untouched
    assert json.loads(out.read_text(encoding="utf-8"))["factors"]["file_sha256"] != report["factors"]["file_sha256"]


def test_counter_reset_does_not_create_an_energy_spike(site, tmp_path):  # type: ignore[no-untyped-def]
    store = DuckDBStore(tmp_path / "reset.duckdb", timezone=site.info.timezone)
    ts = pd.date_range("2026-10-01 00:00", periods=13, freq="5min", tz="Asia/Shanghai").tz_convert("UTC")
    # +10 kWh per 5 min, meter replaced after the 6th reading: 1050 -> 3 (restarts from zero), then +10 again
    values = [1000, 1010, 1020, 1030, 1040, 1050, 3, 13, 23, 33, 43, 53, 63]
    point = next(p.id for p in site.points() if p.device == "grid-meter-1" and p.name == "import_kwh")
    store.write_frame(pd.DataFrame({"ts": ts, "point_id": point, "value": [float(v) for v in values],
                                    "quality": "good"}))
    store.update_rollups()
    try:
        inputs = load_inputs(store, site, date(2026, 10, 1), date(2026, 10, 2))
    finally:
        store.close()
    grid = inputs.energy[(inputs.energy["role"] == "grid_import") & (inputs.energy["subsystem"] ==
                                                                      "power_distribution")]
    # 5 rises of 10 before, the reset reading adds its own 3 kWh (<= the largest ordinary rise), then 6 × 10:
    # 50 + 3 + 60 = 113 kWh, not 1050 kWh and not negative
    assert grid["energy_kwh"].sum() == pytest.approx(113)


def test_store_with_missing_days_warns_that_totals_are_incomplete(filled_store, site, files):  # type: ignore[no-untyped-def]
    store = DuckDBStore(filled_store, timezone=site.info.timezone)
    try:
        report = wiring.issue_report(store, files, parse_period("2026-10"))
    finally:
        store.close()
    # 2 of October's 31 days were written: the period figures rest on 2/31 of their intervals
    assert report["summary"]["coverage_below_threshold"] is True
    assert any(p.startswith("period energy and emissions: data for 6.") and "below the 80% coverage threshold" in p
               for p in report["data_quality"]["problems"])
    assert report["strategies"]["management"]["months_with_data"] == [10]
