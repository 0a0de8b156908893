"""Tomorrow's plan from a real DuckDB store filled by the simulator's backfill: forecast, LP and expected saving."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning.calendar import load_calendar
from planning.config import load_planning_config
from planning.tariffs import load_tariffs
from planning.tomorrow import plan_tomorrow
from simulators.backfill import backfill
from storage.duckdb_store import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


def _factor(index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(0.4042, index=index)


@pytest.fixture(scope="module")
def store(site, tmp_path_factory):  # type: ignore[no-untyped-def]
    store = DuckDBStore(tmp_path_factory.mktemp("plan") / "h.duckdb", timezone=site.info.timezone)
    # ten days of history at 15-minute steps (the plan reads 15-minute means), up to the planned day
    backfill(store, site, datetime(2026, 11, 23, 16, tzinfo=UTC), datetime(2026, 12, 3, 16, tzinfo=UTC), step="15min")
    store.update_rollups()
    yield store
    store.close()


def test_tomorrow_is_planned_from_the_store_and_saves_against_idle_storage(site, store):  # type: ignore[no-untyped-def]
    config = load_planning_config(CONFIG / "planning.yaml")
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           config, _factor, date(2026, 12, 4))
    q = pd.DataFrame(record["quarters"])
    assert len(q) == 96 and record["advice_only"] is True and record["history_days"] == pytest.approx(10.0)
    assert record["pv_source"] == "clear sky x recent clearness"
    assert q["load_kw"].between(500, 6000).all()  # the simulated building: ~1.1 MW at night, ~4 MW at noon
    assert q.loc[q["time"].str[11:13].astype(int).isin([0, 1, 2, 22, 23]), "pv_kw"].max() == 0.0  # no sun at night
    assert q["pv_kw"].max() > 200.0
    np.testing.assert_allclose(q["grid_kw"] + q["storage_kw"], q["load_kw"] - q["pv_kw"], atol=0.2)  # balance
    e = record["expected"]
    assert e["saved_yuan"] > 0 and e["plan_yuan"] < e["idle_yuan"]
    # charging may raise the day's import up to the month's peak so far (already paid), never beyond it
    assert e["peak_kw_plan"] <= max(e["peak_kw_idle"], record["month_peak_kw_so_far"]) + 0.1
    assert q["soc"].between(0.099, 0.951).all()


def test_too_little_history_says_how_much_there_is(site, store):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"2026-11-25: the store has 1.0 days of sub-meter history.*at least 2 are"):
        plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                      load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 11, 25))
