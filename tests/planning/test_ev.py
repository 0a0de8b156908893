"""EV charging in the dispatch: the fleet envelope from the simulator's sessions, and the LP moving charging to
cheaper quarter hours without leaving a car short."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning.dispatch import STEP_H, Prices, plan_storage
from planning.ev import envelope, unmanaged_kw
from planning.tariffs import load_tariffs
from simulators.ev_sessions import charging_sessions

ROOT = Path(__file__).resolve().parents[2]
DAY = pd.date_range("2026-11-03", periods=96, freq="15min", tz="Asia/Shanghai")
PRICE = load_tariffs(ROOT / "config" / "tariffs.yaml").prices(DAY)["price_yuan_per_kwh"].to_numpy()


def _two_cars() -> pd.DataFrame:
    at = pd.Timestamp("2026-11-03", tz="Asia/Shanghai")
    return pd.DataFrame({
        "arrival": [at + pd.Timedelta(hours=9), at + pd.Timedelta(hours=13)],
        "departure": [at + pd.Timedelta(hours=17), at + pd.Timedelta(hours=14)],
        "charger_kw": [7.0, 60.0],
        "energy_kwh": [28.0, 30.0],
    })


def test_envelope_of_two_cars_by_hand():
    env = envelope(_two_cars(), DAY)
    q = {h: 4 * h - 1 for h in range(1, 25)}  # the quarter hour ending at h:00
    assert env.max_kw[4 * 9] == 7.0 and env.max_kw[4 * 13] == 67.0 and env.max_kw[4 * 16] == 7.0
    assert env.must_kwh[q[14]] == 30.0 and env.must_kwh[q[13]] == 0.0 and env.must_kwh[q[17]] == 58.0
    assert env.may_kwh[4 * 9] == 28.0 and env.may_kwh[4 * 13] == 58.0
    unmanaged = unmanaged_kw(_two_cars(), DAY)
    assert unmanaged.sum() * STEP_H == pytest.approx(58.0)  # every kWh delivered
    assert unmanaged[4 * 9:4 * 13].mean() == pytest.approx(7.0)  # the 7 kW car charges 9:00-13:00 (28 kWh)
    assert unmanaged[4 * 13:4 * 13 + 2].mean() == pytest.approx(60.0)  # the fast charger: 30 min at 60 kW


def test_the_lp_charges_the_slow_car_in_the_midday_flat_not_the_peak():
    prices = Prices(PRICE, np.full(96, 0.4), throughput_yuan_per_kwh=0.0)
    plan = plan_storage(DAY, np.full(96, 1000.0), [], prices, ev=envelope(_two_cars(), DAY))
    ev = plan.frame["ev_kw"]
    assert ev.sum() * STEP_H == pytest.approx(58.0, abs=1e-3)
    hours = DAY.hour
    assert ev[(hours >= 10) & (hours < 12)].sum() * STEP_H == pytest.approx(0.0, abs=1e-3)  # morning peak avoided
    cheap = (hours >= 9) & (hours < 10) | (hours >= 12) & (hours < 14)
    assert ev[cheap].sum() * STEP_H == pytest.approx(58.0, abs=1e-3)
    managed = float((plan.frame["grid_kw"] * PRICE).sum() * STEP_H)
    unmanaged = float(((1000.0 + unmanaged_kw(_two_cars(), DAY)) * PRICE).sum() * STEP_H)
    assert managed < unmanaged


def test_the_simulators_sessions_make_a_feasible_day(site):  # type: ignore[no-untyped-def]
    sessions = charging_sessions(site, DAY[0].tz_convert("UTC"), (DAY[-1] + pd.Timedelta("15min")).tz_convert("UTC"))
    env = envelope(sessions, DAY)
    assert len(sessions) > 100 and env.total_kwh > 1000.0
    plan = plan_storage(DAY, np.full(96, 1500.0), [], Prices(PRICE, np.full(96, 0.4)), ev=env)
    assert plan.frame["ev_kw"].sum() * STEP_H == pytest.approx(env.total_kwh, rel=1e-6)
    assert (plan.frame["ev_kw"] <= env.max_kw + 1e-6).all()
