"""降碳需 in the carbon report: what the storage saved under the tariff, as metered, from `zerocarbon report`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planning.cost import storage_saving
from planning.tariffs import load_tariffs
from simulators.backfill import backfill
from storage.duckdb_store import DuckDBStore
from storage.energy import energy_by_role
from zerocarbon.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_report_counts_the_storage_saving_under_demand_reduction(site, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    store = DuckDBStore(data_dir / "zerocarbon.duckdb", timezone=site.info.timezone)
    t0, t1 = datetime(2026, 10, 4, 16, tzinfo=UTC), datetime(2026, 10, 6, 16, tzinfo=UTC)  # 5-6 Oct local
    backfill(store, site, t0, t1, step="5min", seed=2)
    store.update_rollups()
    expected = storage_saving(energy_by_role(store, site, t0, t1, "15min"), load_tariffs(ROOT / "config" /
                                                                                        "tariffs.yaml"),
                              site.info.timezone)
    store.close()
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ZEROCARBON_SITE", str(ROOT / "config" / "site.yaml"))
    out = tmp_path / "oct.json"
    result = CliRunner().invoke(app, ["report", "--period", "2026-10", "--format", "json", "--out", str(out),
                                      "--quiet", "--no-archive"])
    assert result.exit_code == 0, result.output
    section = json.loads(out.read_text(encoding="utf-8"))["strategies"]["demand_reduction"]["storage_dispatch"]
    assert section["saved_yuan"] == pytest.approx(expected["saved_yuan"])
    assert section["saved_yuan"] == pytest.approx(section["saved_energy_yuan"] + section["saved_demand_yuan"], abs=0.02)
    # the simulator's rule charges 8-14 h partly from the grid: its losses cost emissions, never save them
    assert section["discharged_kwh"] > 0 and section["saved_tco2e"] < 0
    assert section["tariff_version"] == "2026.12-1"
    # the flat price and the demand charge are placeholders: the report says so beside the yuan
    assert [p["id"] for p in section["tariff_placeholders"]] == ["zhuhai-ci-10kv-2026", "gd-two-part-demand-2023"]
    assert section["tariff_note"].startswith("placeholder, not confirmed: flat price 0.65 yuan/kWh")
    assert section["coverage"]["complete"] is False  # two days of a 31-day month
