"""The carbon baseline year written fast: report points only, 5-minute readings that the energy module counts as
measured, counters that are the integral of the hourly physics and carry on, and the demo's decision to write it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from models.site import Site
from simulators.backfill import history_frame
from simulators.report_history import backfill_report_history, report_points
from storage.duckdb_store import DuckDBStore
from storage.energy import energy_by_role, energy_points

TWO_DAYS = (datetime(2025, 3, 1, 16, tzinfo=UTC), datetime(2025, 3, 3, 16, tzinfo=UTC))  # local midnight to midnight


def test_report_points_are_what_the_energy_module_reads_plus_the_conditions(site: Site) -> None:
    points = report_points(site)
    assert {p.id for p in energy_points(site).values()} <= points
    assert {p.id for p in site.points_by_role("outdoor_temperature")} <= points  # type: ignore[arg-type]
    assert len(points) < len(site.points()) / 10  # the reason it is fast: ~1 point in 20


def test_baseline_history_reads_as_measured_energy_equal_to_the_hourly_physics(site: Site, tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "baseline.duckdb", timezone=site.info.timezone)
    progress: list[int] = []
    try:
        result = backfill_report_history(store, site, *TWO_DAYS, seed=1, progress=progress.append)
        store.update_rollups()
        energy = energy_by_role(store, site, *TWO_DAYS, "hour")
        raw = store.read(["grid-meter-1.import_kwh"], *TWO_DAYS)
    finally:
        store.close()
    points = len(report_points(site))
    assert result.rows == points * 2 * 288 and result.days == 2 and len(progress) == 2  # 288 readings a day
    counters = energy[energy["quality"] != "estimated"]  # power-only devices are estimated, as live
    assert set(counters["quality"]) == {"measured"}  # 5-minute spacing is inside the gap limit
    # each hour's power held for its twelve readings: at every hour start the counter has risen exactly as the
    # 1-hour history's counter (Σ rate × 1 h), give or take the register's step (0.1 kWh here)
    hourly = history_frame(site, *TWO_DAYS, step="1h", seed=1)
    expected = hourly[hourly["point_id"] == "grid-meter-1.import_kwh"]["value"].to_numpy()
    ours = raw[raw["point_id"] == "grid-meter-1.import_kwh"]["value"].to_numpy()[::12]
    assert len(ours) == 48
    assert (ours - ours[0]) == pytest.approx(expected - expected[0], abs=0.11)
    assert (ours[1:] >= ours[:-1]).all() and result.counters["grid-meter-1.import_kwh"] >= ours[-1]


def test_demo_fills_the_baseline_year_once(site: Site, tmp_path: Path) -> None:
    from carbon.files import CarbonFiles
    from zerocarbon.demo_fill import FILL_STEPS, baseline_span

    assert [s.name for s in FILL_STEPS][-1] == "baseline"  # after the recent history a newcomer looks at first
    config = CarbonFiles.in_dir(Path(__file__).resolve().parents[2] / "config")
    recent = datetime(2026, 11, 3, tzinfo=UTC)  # where the demo's 30 days begin
    store = DuckDBStore(tmp_path / "demo.duckdb", timezone=site.info.timezone)
    try:
        span = baseline_span(store, site, config, recent)
        assert span is not None
        start, end = span  # config/carbon.yaml: 2025-01-01 .. 2026-01-01 local
        assert pd.Timestamp(start) == pd.Timestamp("2025-01-01", tz=site.info.timezone)
        assert pd.Timestamp(end) == pd.Timestamp("2026-01-01", tz=site.info.timezone)
        backfill_report_history(store, site, start, start + timedelta(days=1))
        assert baseline_span(store, site, config, recent) == span  # stopped part way (Ctrl-C): written again
        backfill_report_history(store, site, end - timedelta(days=1), end)  # the fill writes the last day last
        assert baseline_span(store, site, config, recent) is None  # already there: not written again
        assert baseline_span(store, site, CarbonFiles.in_dir(tmp_path), recent) is None  # no carbon.yaml: nothing
        assert baseline_span(store, site, None, recent) is None  # --no-baseline
    finally:
        store.close()
