"""Day-ahead forecasts: the skill arithmetic, no look-ahead, the holiday calendar, one PV path for plan and backtest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning.backtest import backtest, load_forecast, pv_forecasts, scores
from planning.calendar import REST, SATURDAY, WORKDAY, load_calendar
from planning.pv_forecast import forecast_pv, inverters_of
from zerocarbon.plan_wiring import local_index, planning_frame, simulated_truth

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = load_calendar(ROOT / "config" / "calendar.yaml")
TEST_DAYS = pd.date_range("2026-03-30", periods=5, freq="D")


KEEP = ["load_kw/chiller_plant", "load_kw/lighting", "load_kw/ev_charging"]  # three subsystems keep the fits short


@pytest.fixture(scope="module")
def frame(site):  # type: ignore[no-untyped-def]
    index = local_index(site, "2026-03-09", 26)  # 21 days of history, then the 5 test days
    full = planning_frame(site, simulated_truth(site, index, seed=3), seed=3)
    return full.drop(columns=[c for c in full.columns if c.startswith("load_kw/") and c not in KEEP])


def test_scores_by_hand():
    s = scores(np.array([2.0, 2.0]), np.array([1.0, 3.0]), np.array([0.0, 0.0]), np.array([1.0, 5.0]))
    assert s["nmae"] == 0.5  # (1 + 1) / (1 + 3)
    assert s["skill_vs_persistence"] == 0.5  # 1 - 1 / 2
    assert s["skill_vs_same_day_last_week"] == 0.0  # 1 - 1 / 1


def test_holidays_and_make_up_workdays_come_from_the_state_council_notice():
    days = pd.DatetimeIndex(["2026-10-01", "2026-10-10", "2026-10-11", "2026-10-12", "2026-02-14", "2027-10-01"])
    assert CALENDAR.day_types(days).tolist() == [REST, WORKDAY, REST, WORKDAY, WORKDAY, WORKDAY]
    assert CALENDAR.day_types(pd.DatetimeIndex(["2026-11-07"])).tolist() == [SATURDAY]
    assert not CALENDAR.covers(pd.Timestamp("2027-10-01").date())  # 2027 not entered: weekday only


def test_forecasts_do_not_look_at_the_day_they_forecast(site, frame):  # type: ignore[no-untyped-def]
    inverters = inverters_of(site)
    before_pv = pv_forecasts(site, inverters, frame)["weather_forecast"]
    before_load = load_forecast(site, frame, CALENDAR, TEST_DAYS, retrain_days=7)
    changed = frame.copy()
    last = changed.index.tz_localize(None).normalize() == TEST_DAYS[-1]
    measured = [c for c in changed.columns if c.startswith(("pv_kw/", "load_kw/"))]
    changed.loc[last, measured] *= 3.0  # the last test day's measurements: unknown when it was forecast
    after_pv = pv_forecasts(site, inverters, changed)["weather_forecast"]
    after_load = load_forecast(site, changed, CALENDAR, TEST_DAYS, retrain_days=7)
    pd.testing.assert_frame_equal(before_load, after_load)
    pd.testing.assert_frame_equal(before_pv, after_pv)


def test_the_plan_and_the_backtest_forecast_pv_alike(site, frame):  # type: ignore[no-untyped-def]
    inverters = inverters_of(site)
    day = frame.index.tz_localize(None).normalize() == TEST_DAYS[0]
    history = frame.loc[frame.index < frame.index[day][0]]
    single = forecast_pv(site, inverters, frame.index[day], history, frame.loc[day, ["ghi_wm2", "temp_c"]])
    batch = pv_forecasts(site, inverters, frame)["weather_forecast"].loc[day]
    np.testing.assert_allclose(single.to_numpy(), batch.to_numpy(), rtol=1e-9)
    clear = forecast_pv(site, inverters, frame.index[day], history, None)
    np.testing.assert_allclose(clear.to_numpy(), pv_forecasts(site, inverters, frame)["clear_sky_x_clearness"]
                               .loc[day].to_numpy(), rtol=1e-9)


def test_a_short_backtest_beats_persistence_for_load(site, frame):  # type: ignore[no-untyped-def]
    result = backtest(site, inverters_of(site), CALENDAR, frame, TEST_DAYS, retrain_days=7)
    load = result["load"]["building_total"]
    assert load["nmae"] < 0.15 and load["skill_vs_persistence"] > 0.0
    assert set(result["load"]["by_subsystem"]) == {"chiller_plant", "lighting", "ev_charging"}
    assert 0.0 < result["pv"]["site_total"]["weather_forecast"]["nmae"] < 1.0
