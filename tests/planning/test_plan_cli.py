"""``zerocarbon plan`` and ``forecast``: what a user reads when the plan cannot be made (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zerocarbon.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _site(site_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEROCARBON_SITE", str(site_file))


def test_an_empty_store_says_how_much_history_the_plan_needs() -> None:
    result = runner.invoke(app, ["plan", "--day", "2026-12-04"])
    assert result.exit_code == 2, result.output
    assert "zerocarbon plan: plan for 2026-12-04: the store has 0.0 days of sub-meter history" in result.output
    assert "Traceback" not in result.output


def test_bad_options_name_the_fix(tmp_path: Path) -> None:
    month = runner.invoke(app, ["plan", "--backtest-month", "2026-13"])
    assert month.exit_code == 2 and "use YYYY-MM, e.g. 2026-08" in month.output
    bad = tmp_path / "fc.csv"
    bad.write_text("time,ghi\n2026-12-04T00:00,0\n")
    weather = runner.invoke(app, ["plan", "--day", "2026-12-04", "--weather", str(bad)])
    assert weather.exit_code == 2 and f"{bad}:1: missing column(s) ghi_wm2, temp_c; the header is" in weather.output
    forecast = runner.invoke(app, ["forecast"])
    assert forecast.exit_code == 2 and "--backtest" in forecast.output


def test_the_plan_is_saved_where_the_simulated_site_reads_it(site, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    from datetime import UTC, datetime

    from models.plan_file import read_plan
    from simulators.backfill import backfill
    from storage.duckdb_store import DuckDBStore

    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", timezone=site.info.timezone)
    # five days: with two the load models' trees find a feature without values (sklearn's binning raises)
    backfill(store, site, datetime(2026, 11, 28, 16, tzinfo=UTC), datetime(2026, 12, 3, 16, tzinfo=UTC), step="15min")
    store.update_rollups()
    store.close()
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(tmp_path))
    bad = runner.invoke(app, ["plan", "--day", "2026-12-04", "--ev-bookings", "booked.csv"])
    assert bad.exit_code == 2 and "--ev-bookings 'booked.csv': use 'simulated' or 'none'" in bad.output
    result = runner.invoke(app, ["plan", "--day", "2026-12-04", "--ev-bookings", "simulated", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["saved_to"] == str(tmp_path / "plans" / "2026-12-04.json")
    assert [p["id"] for p in record["tariff_placeholders"]] == ["zhuhai-ci-10kv-2026", "gd-two-part-demand-2023"]
    plan = read_plan(tmp_path / "plans", datetime(2026, 12, 4).date())
    assert plan is not None and {"storage_kw/storage-1", "storage_kw/storage-2", "ev_kw", "grid_limit_kw"} <= set(plan)
    assert plan["ev_kw"].sum() > 0 and plan.index[0].isoformat() == "2026-12-04T00:00:00+08:00"
    text = runner.invoke(app, ["plan", "--day", "2026-12-04", "--no-save"])
    assert "warning: yuan rest on a placeholder, not confirmed: flat price 0.65 yuan/kWh" in text.output
