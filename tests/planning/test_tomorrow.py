"""Tomorrow's plan from a real DuckDB store filled by the simulator's backfill: forecast, LP and expected saving."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.errors import InputError
from planning.calendar import load_calendar
from planning.config import load_planning_config
from planning.pv_forecast import forecast_pv, inverters_of
from planning.tariffs import load_tariffs
from planning.tomorrow import history_frame, plan_tomorrow
from simulators.backfill import backfill
from storage.duckdb_store import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


def _factor(index: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(0.4042, index=index)


@pytest.fixture(scope="module")
def store(site, tmp_path_factory):  # type: ignore[no-untyped-def]
    store = DuckDBStore(tmp_path_factory.mktemp("plan") / "h.duckdb", timezone=site.info.timezone)
    # five days of history at 15-minute steps (the plan reads 15-minute means), up to the planned day
    backfill(store, site, datetime(2026, 11, 28, 16, tzinfo=UTC), datetime(2026, 12, 3, 16, tzinfo=UTC), step="15min")
    store.update_rollups()
    yield store
    store.close()


def test_tomorrow_is_planned_from_the_store_and_saves_against_idle_storage(site, store):  # type: ignore[no-untyped-def]
    config = load_planning_config(CONFIG / "planning.yaml")
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           config, _factor, date(2026, 12, 4))
    q = pd.DataFrame(record["quarters"])
    assert len(q) == 96 and record["advice_only"] is True and record["history_days"] == pytest.approx(5.0)
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
    with pytest.raises(ValueError, match=r"2026-11-30: the store has 1.0 days of sub-meter history.*at least 2 are"):
        plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                      load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 11, 30))


def test_a_weather_forecast_file_drives_the_pv_forecast(site, store, tmp_path):  # type: ignore[no-untyped-def]
    from zerocarbon.plan_wiring import read_weather_csv

    hours = pd.date_range("2026-12-04", periods=24, freq="1h")
    ghi = np.clip(np.sin((hours.hour - 6) / 12 * np.pi), 0, None) * 300.0  # a dull day: 300 W/m² at noon
    path = tmp_path / "fc.csv"
    rows = [f"{t.isoformat()},{g:.1f},18.0\n" for t, g in zip(hours, ghi, strict=True)]
    path.write_text("time,ghi_wm2,temp_c\n" + "".join(rows))
    weather = read_weather_csv(path, site.info.timezone)
    config = load_planning_config(CONFIG / "planning.yaml")
    args = (store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"), config,
            _factor, date(2026, 12, 4))
    record = plan_tomorrow(*args, weather)
    dull = pd.DataFrame(record["quarters"])
    day = pd.DatetimeIndex(pd.to_datetime(dull["time"]))
    history = history_frame(store, site, day[0] - pd.Timedelta(days=14), day[0])
    clear = forecast_pv(site, inverters_of(site), day, history, None).sum(axis=1)
    assert record["pv_source"] == "weather forecast"
    assert 0 < dull["pv_kw"].sum() < 0.8 * clear.sum()  # the forecast's clouds, not clear sky
    bad = tmp_path / "bad.csv"
    bad.write_text("time,ghi_wm2,temp_c\n2026-12-04T00:00,0,18\n2026-12-04T01:00,cloudy,18\n")
    with pytest.raises(InputError, match=r"bad.csv:3: ghi_wm2 'cloudy' is not a number"):
        read_weather_csv(bad, site.info.timezone)


def test_the_saved_plan_with_ev_bookings_is_what_the_simulator_follows(site, store, tmp_path):  # type: ignore[no-untyped-def]
    from models.plan_file import read_plan, write_plan
    from simulators.ev_sessions import charging_sessions
    from simulators.physics import site_frame

    day = pd.Timestamp("2026-12-04", tz=site.info.timezone)
    sessions = charging_sessions(site, day.tz_convert("UTC"), (day + pd.Timedelta(days=1)).tz_convert("UTC"))
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           load_planning_config(CONFIG / "planning.yaml"), _factor, day.date(), ev_sessions=sessions)
    assert record["ev_planned"] is True
    assert set(record["setpoints"]) == {"storage_kw/storage-1", "storage_kw/storage-2", "ev_kw", "grid_limit_kw"}
    # the fleet's planned energy is the sessions' energy: every car is charged before it leaves
    assert sum(record["setpoints"]["ev_kw"]) * 0.25 == pytest.approx(sessions["energy_kwh"].sum(), rel=1e-4)
    write_plan(tmp_path, record, site.info.timezone, record["setpoints"])
    plan = read_plan(tmp_path, day.date())
    assert plan is not None and len(plan) == 96
    minute = pd.date_range(day, periods=1440, freq="1min")
    truth = site_frame(site, minute, plan=plan.drop(columns="grid_limit_kw"))
    # the LP kept within the units' limits, so the simulated units hold every quarter hour's setpoint
    for unit in site.energy_systems.storage:
        done = truth[f"storage_kw/{unit.device}"].groupby(minute.floor("15min")).mean().to_numpy()
        err = np.abs(done - plan[f"storage_kw/{unit.device}"].to_numpy())
        assert err.max() < 0.01 and np.abs(plan[f"storage_kw/{unit.device}"]).mean() > 10.0  # kW; a plan that moves

    # with the plan's demand limit the PCS guards the import against the forecast's error
    guarded = site_frame(site, minute, plan=plan)
    grid = {name: f[[c for c in f.columns if c.startswith("grid_kw/")]].sum(axis=1).groupby(minute.floor("15min"))
            .mean() for name, f in (("open", truth), ("guarded", guarded))}
    limit = plan["grid_limit_kw"].iloc[0]
    # (this day the forecast was low: followed blind, the plan's charging took the import 800 kW over its limit)
    assert grid["guarded"].max() <= limit + 0.5 < grid["open"].max()


def test_the_shortest_history_allowed_still_plans(site, store):  # type: ignore[no-untyped-def]
    """Two days (the minimum): the day before the eve has no expected visitors, a feature with no value at all,
    which scikit-learn's binning refused ("window shape cannot be larger than input array shape")."""
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 12, 1))
    q = pd.DataFrame(record["quarters"])
    assert record["history_days"] == pytest.approx(2.0) and len(q) == 96
    assert q["load_kw"].between(500, 6000).all()


def test_the_service_fits_tomorrows_models_ahead_and_a_restart_does_not_refit(site, store, tmp_path,  # type: ignore[no-untyped-def]
                                                                             monkeypatch):
    """`zerocarbon run` fits the day's load models in the background and keeps them in the data dir: the first
    plan after it (and after a restart: a new process's empty memory) only predicts, and says when they were fitted."""
    import planning.load_forecast as lf
    import planning.model_cache as mc
    from zerocarbon.plan_service import fit_tomorrow
    from zerocarbon.settings import Settings

    settings = Settings(data_dir=tmp_path, site=CONFIG / "site.yaml")
    monkeypatch.setattr(mc, "SHARED", mc.ModelCache())  # this process's cache, as a fresh service has it
    monkeypatch.setattr(lf, "SHARED", mc.SHARED)
    fitted = fit_tomorrow(store, site, settings, now=datetime(2026, 12, 3, 10, tzinfo=UTC))  # 18:00 local
    assert fitted is not None and mc.SHARED.fits == 1
    assert len(list((tmp_path / "forecast_models").glob("load-models-*.pickle"))) == 1
    restarted = mc.ModelCache()
    monkeypatch.setattr(mc, "SHARED", restarted)
    monkeypatch.setattr(lf, "SHARED", restarted)
    restarted.directory = tmp_path / "forecast_models"  # what the console's Plan page and `plan` set (keep_in)
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 12, 4))
    assert (restarted.fits, restarted.last) == (0, "file")
    assert record["load_models_fitted_at"] == fitted
    assert record["pv_forecast"] == {"source": "clear sky x recent clearness", "issued": None, "provider": None}
    # too little history for the day after a gap: nothing fitted, no error (the Plan page says why)
    assert fit_tomorrow(store, site, settings, now=datetime(2027, 3, 1, tzinfo=UTC)) is None


def test_the_next_fit_is_at_half_past_midnight_site_time() -> None:
    from zerocarbon.plan_service import seconds_to_next_fit

    tz = "Asia/Shanghai"
    assert seconds_to_next_fit(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), tz) == 30 * 60  # 00:00 local
    assert seconds_to_next_fit(datetime(2026, 12, 3, 16, 31, tzinfo=UTC), tz) == 24 * 3600 - 60  # 00:31 local
    assert seconds_to_next_fit(datetime(2026, 12, 3, 10, 0, tzinfo=UTC), tz) == 6.5 * 3600  # 18:00 local


def test_a_kept_forecast_is_what_the_plan_rests_on_and_says_so(site, store):  # type: ignore[no-untyped-def]
    from collectors.weather_feed import parse_forecast
    from simulators.weather_forecast import day_ahead_payload

    forecast = parse_forecast(day_ahead_payload(site, "2026-12-04", seed=3))
    record = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                           load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 12, 4), forecast)
    assert record["pv_forecast"] == {"source": "weather forecast", "issued": "2026-12-03T18:00:00+08:00",
                                     "provider": "zerocarbon simulator (seed 3)"}
    clear = plan_tomorrow(store, site, load_tariffs(CONFIG / "tariffs.yaml"), load_calendar(CONFIG / "calendar.yaml"),
                          load_planning_config(CONFIG / "planning.yaml"), _factor, date(2026, 12, 4))
    pv = [sum(q["pv_kw"] for q in r["quarters"]) for r in (record, clear)]
    assert pv[0] != pytest.approx(pv[1], rel=0.01)  # the forecast's clouds, not clear sky x clearness


def test_the_fit_ahead_thread_fits_after_start_up_and_stops_without_waiting_a_day(site, store, tmp_path,  # type: ignore[no-untyped-def]
                                                                                  monkeypatch):
    import time

    import planning.load_forecast as lf
    import planning.model_cache as mc
    import zerocarbon.plan_service as ps
    from zerocarbon.settings import Settings

    monkeypatch.setattr(mc, "SHARED", mc.ModelCache())
    monkeypatch.setattr(lf, "SHARED", mc.SHARED)
    monkeypatch.setattr(ps, "START_DELAY_S", 0.0)
    fitter = ps.FitAhead(store, site, Settings(data_dir=tmp_path, site=CONFIG / "site.yaml"),
                         clock=lambda: datetime(2026, 12, 3, 10, tzinfo=UTC)).start()
    deadline = time.monotonic() + 120
    while fitter.runs < 1:
        assert time.monotonic() < deadline and fitter.thread.is_alive()
        time.sleep(0.05)
    fitter.stop()  # the next run is 6.5 h away: stop() does not wait for it
    assert not fitter.thread.is_alive() and fitter.runs == 1 and fitter.fitted is not None
    assert list((tmp_path / "forecast_models").glob("load-models-*.pickle"))
