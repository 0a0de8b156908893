"""Backfill writes plausible history into a real store, day by day, with counters carried across days."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.site import Site
from simulators.backfill import backfill, day_bounds, history_frame
from storage.duckdb_store import DuckDBStore

TWO_DAYS = (datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 3, 16, tzinfo=UTC))  # two local days


def test_days_are_cut_at_local_midnight(site: Site) -> None:
    bounds = day_bounds(site, datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert [(a.hour, b.hour) for a, b in bounds] == [(20, 0), (0, 20)]  # 20:00 local -> midnight -> 20:00


def test_backfill_into_duckdb_matches_the_history_frame(site: Site, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "history.duckdb", timezone=site.info.timezone)
    progress: list[int] = []
    try:
        result = backfill(store, site, *TWO_DAYS, step="15min", seed=1, progress=progress.append)
        stored = store.read(["grid-meter-1.import_kwh", "pv-inv-02.W"], *TWO_DAYS)
    finally:
        store.close()
    frame = history_frame(site, *TWO_DAYS, step="15min", seed=1)
    points = frame["point_id"].nunique()
    assert result.rows == len(frame) == points * 2 * 96 and result.days == 2  # 2 days x 96 quarter hours
    assert progress == [points * 96, points * 96]
    counter = stored[stored["point_id"] == "grid-meter-1.import_kwh"]["value"]
    assert counter.is_monotonic_increasing and len(counter) == 192
    expected = frame[frame["point_id"] == "grid-meter-1.import_kwh"]["value"].to_numpy()
    assert counter.to_numpy() == pytest.approx(expected)
    assert result.counters["grid-meter-1.import_kwh"] > expected[-1]  # where the live site carries on


def test_simulate_backfill_command_fills_the_configured_store(site: Site) -> None:
    from zerocarbon.cli import app
    from zerocarbon.settings import load_settings

    outcome = CliRunner().invoke(app, ["simulate", "--backfill", "6h", "--step", "15min"])
    assert outcome.exit_code == 0, outcome.output
    assert "wrote" in outcome.output and "readings" in outcome.output
    store = DuckDBStore(load_settings().duckdb_path, timezone=site.info.timezone)
    try:
        latest = store.latest(["pv-inv-01.WH", "visitor-queue.tickets_today"])
    finally:
        store.close()
    assert len(latest) == 2
    age = pd.Timestamp.now(tz=UTC) - latest["ts"].max()
    assert age < pd.Timedelta("31min")  # history ends at 'now', floored to the 15-min step


def test_bad_backfill_duration_names_the_fix() -> None:
    from zerocarbon.cli import app

    outcome = CliRunner().invoke(app, ["simulate", "--backfill", "ninety days"])
    assert outcome.exit_code != 0 and "use e.g. 90d" in outcome.output


def test_live_site_carries_on_the_backfill_counters(site: Site) -> None:
    from simulators.backfill import BackfillResult, history_chunks
    from tests.support.simsite import start_simulated_site

    result = BackfillResult()
    for _ in history_chunks(site, *TWO_DAYS, step="15min", seed=1, result=result):
        pass
    handle = start_simulated_site(site, None, seed=1, start_time=TWO_DAYS[1], counters=result.counters)
    try:
        live = handle.values("grid-meter-1")["import_kwh"]
        pv = handle.values("pv-inv-04")["WH"]
    finally:
        handle.stop()
    # ~1 MW through each incomer: a second of wall clock adds well under 1 kWh to where the history ended
    assert live == pytest.approx(result.counters["grid-meter-1.import_kwh"], abs=1.0)
    assert pv == pytest.approx(result.counters["pv-inv-04.WH"], abs=1000.0)  # Wh; midnight, no sun
