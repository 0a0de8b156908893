"""The site's physics over a simulated week: energy balance, reproducibility and plausible shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from models.site import Site
from models.vocabulary import EnergyRole, PointKind
from simulators.backfill import history_frame
from simulators.physics import site_frame, submeters

WEEK = (datetime(2026, 7, 6, tzinfo=UTC), datetime(2026, 7, 13, tzinfo=UTC))  # Monday 08:00 to Monday 08:00 local


@pytest.fixture(scope="module")
def week(site: Site) -> pd.DataFrame:
    return history_frame(site, *WEEK, step="1min", seed=0)


def _energy_kwh(site: Site, week: pd.DataFrame, roles: set[EnergyRole]) -> float:
    """Counter increase over the week (last - first reading), in kWh."""
    counters = [p for p in site.points() if p.role in roles and p.kind is PointKind.ENERGY_COUNTER]
    total = 0.0
    for p in counters:
        values = week.loc[week["point_id"] == p.id, "value"].to_numpy()
        total += (values[-1] - values[0]) / (1000.0 if p.unit == "Wh" else 1.0)
    return total


def test_energy_balance_holds_over_a_week(site: Site, week: pd.DataFrame) -> None:
    grid = _energy_kwh(site, week, {EnergyRole.GRID_IMPORT}) - _energy_kwh(site, week, {EnergyRole.GRID_EXPORT})
    consumption = _energy_kwh(site, week, {EnergyRole.CONSUMPTION, EnergyRole.EV_CHARGING})
    pv = _energy_kwh(site, week, {EnergyRole.PV})
    wind = _energy_kwh(site, week, {EnergyRole.WIND})
    discharge = _energy_kwh(site, week, {EnergyRole.BATTERY_DISCHARGE})
    charge = _energy_kwh(site, week, {EnergyRole.BATTERY_CHARGE})
    assert len(submeters(site)) == 17  # consumption is the sum of the 17 subsystem sub-meters
    assert grid == pytest.approx(consumption - pv - wind - discharge + charge, rel=1e-9, abs=1e-6)
    assert pv > 20_000 and charge > 1000 and discharge > 0.8 * charge  # a July week: real PV, a busy battery
    assert consumption > 100_000  # ~1.1 MW base load for 168 h


def test_history_is_reproducible_and_day_independent(site: Site) -> None:
    day2 = (datetime(2026, 7, 7, 16, tzinfo=UTC), datetime(2026, 7, 8, 16, tzinfo=UTC))  # one local day
    two_days = history_frame(site, datetime(2026, 7, 6, 16, tzinfo=UTC), day2[1], step="15min", seed=3)
    alone = history_frame(site, *day2, step="15min", seed=3)
    again = history_frame(site, *day2, step="15min", seed=3)
    other_seed = history_frame(site, *day2, step="15min", seed=4)
    pid = "pv-inv-07.W"
    tail = two_days[(two_days["point_id"] == pid) & (two_days["ts"] >= day2[0])]["value"].to_numpy()
    assert np.array_equal(tail, alone.loc[alone["point_id"] == pid, "value"].to_numpy())
    assert alone["value"].equals(again["value"])
    assert not alone["value"].equals(other_seed["value"])


def test_shapes_follow_sun_opening_hours_and_dispatch(site: Site) -> None:
    index = pd.date_range("2026-07-08", periods=1440, freq="1min", tz="Asia/Shanghai")  # a Wednesday
    frame = site_frame(site, index.tz_convert("UTC"), seed=0)
    frame.index = index
    pv = frame.filter(like="pv_ac_kw/").sum(axis=1)
    load = frame.filter(like="load_kw/").sum(axis=1)
    battery = frame.filter(like="storage_kw/").sum(axis=1)
    assert pv.between_time("00:00", "05:00").max() == 0 and pv.between_time("11:00", "13:00").mean() > 300
    assert load.between_time("10:00", "16:00").mean() > 1.5 * load.between_time("01:00", "05:00").mean()
    assert battery.between_time("09:00", "13:00").mean() < 0 < battery.between_time("15:00", "21:00").mean()
    soc = frame.filter(like="soc/")
    assert soc.min().min() >= 0.0999 and soc.max().max() <= 0.9501
    wind = frame.filter(like="wind_kw/")
    assert wind.max().max() <= 50.0 and (wind[frame["wind_ms"] < 3.0] == 0).all().all()


def test_weekends_are_quieter_than_weekdays(site: Site) -> None:
    index = pd.date_range("2026-07-06", periods=7 * 96, freq="15min", tz="Asia/Shanghai")  # Mon..Sun
    frame = site_frame(site, index.tz_convert("UTC"), seed=0)
    frame.index = index
    tickets = frame["tickets_today"].resample("D").max()
    assert tickets.iloc[:5].min() > 2500 and tickets.iloc[6] == 0  # 4385 x 0.65..1.05 on weekdays, Sunday closed
