"""Overview tiles on impossible meter data: the tiles say why instead of showing a made-up number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard.context import Console
from dashboard.kpis import overview_kpis
from dashboard.report_bridge import carbon_files
from storage.duckdb_store import DuckDBStore
from zerocarbon.settings import Settings


def test_export_above_generation_shows_the_problem_not_a_ratio(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 14:00 in Zhuhai
    ts = pd.date_range(now - timedelta(hours=4), now, freq="5min", tz="UTC")
    rows = []
    for i, t in enumerate(ts):  # export counter climbs 10 kWh per step while PV and wind report nothing
        rows += [(t, "grid-meter-1.export_kwh", 1000.0 + 10 * i), (t, "grid-meter-1.import_kwh", 5000.0 + 50 * i)]
    frame = pd.DataFrame(rows, columns=["ts", "point_id", "value"]).assign(quality="good")
    store = DuckDBStore(":memory:", site.info.timezone)
    store.write_frame(frame)
    store.update_rollups()
    kpis = overview_kpis(Console(store, site, None, Settings(data_dir=tmp_path), clock=lambda: now))
    assert "exceeds on-site generation" in kpis.problem
    assert (kpis.consumption_kwh, kpis.self_sufficiency, kpis.self_consumption) == (None, None, None)
    assert kpis.generation_kwh == 0.0
    # Scope 2 needs only the import. Readings 10:00..14:00 local give 48 steps of 50 kWh, but the step ending at
    # 14:00 belongs to the 14:00 hour, which starts at "now": 47 × 50 = 2,350 kWh × today's location factor
    factors, config = carbon_files(Console(store, site, None, Settings(data_dir=tmp_path)))
    factor = factors.select("electricity_location", config.factors.location_region, date(2026, 11, 25)).value
    assert kpis.carbon_today_kg == pytest.approx(2350.0 * factor)
    store.close()
