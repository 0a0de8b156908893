"""Simulated EV charging sessions: the data behind the console's EV view and the dispatch planner."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.site import Site
from simulators.ev_sessions import SESSION_COLUMNS, charging_sessions, fleet_of, fleet_values
from simulators.physics import site_frame

TZ = "Asia/Shanghai"
MONDAY = pd.Timestamp("2026-11-02", tz=TZ)  # a working day
SUNDAY = pd.Timestamp("2026-11-08", tz=TZ)


def _day_index(day: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(day, periods=1441, freq="1min").tz_convert("UTC")


def test_sessions_have_the_documented_shape_and_fit_the_fleet(site: Site) -> None:
    sessions = charging_sessions(site, MONDAY, MONDAY + pd.Timedelta(days=1))
    fleet = fleet_of(site)
    assert fleet is not None and (fleet.chargers, fleet.spaces) == (611, 2846)
    assert list(sessions.columns) == SESSION_COLUMNS
    assert 300 < len(sessions) < 600  # ~450 on a working day
    assert (sessions["arrival"] < sessions["charge_end"]).all()
    assert (sessions["charge_end"] <= sessions["departure"] + pd.Timedelta(seconds=1)).all()
    # times are whole seconds: delivered energy is within one second of charging (60 kW / 3600) of the request
    assert (sessions["energy_kwh"] <= sessions["requested_kwh"] + 60.0 / 3600).all()
    assert set(sessions["charger_kw"]) == {7.0, 60.0}
    # one car at a time on a charger: on each charger the next arrival is after the previous departure
    for _, on_one in sessions.sort_values("arrival").groupby("charger_id"):
        assert (on_one["arrival"].to_numpy()[1:] >= on_one["departure"].to_numpy()[:-1]).all()


def test_sundays_are_quiet_and_days_are_reproducible(site: Site) -> None:
    sunday = charging_sessions(site, SUNDAY, SUNDAY + pd.Timedelta(days=1))
    monday = charging_sessions(site, MONDAY, MONDAY + pd.Timedelta(days=1))
    assert len(sunday) < len(monday) / 5
    week = charging_sessions(site, MONDAY, MONDAY + pd.Timedelta(days=7))
    pd.testing.assert_frame_equal(week[week["session_id"].str.startswith("2026-11-02")].reset_index(drop=True),
                                  monday)
    other_seed = charging_sessions(site, MONDAY, MONDAY + pd.Timedelta(days=1), seed=1)
    assert not other_seed["arrival"].equals(monday["arrival"])


def test_platform_power_integrates_to_the_sessions_energy(site: Site) -> None:
    index = _day_index(MONDAY)
    sessions = charging_sessions(site, index[0], index[-1])
    values = fleet_values(sessions, index)
    # the counter is the left Riemann sum of the step means: exactly the delivered energy
    assert np.isclose(values["power_kw"].sum() / 60.0, sessions["energy_kwh"].sum(), rtol=1e-6)
    assert values["arrivals_per_h"].sum() / 60.0 == len(sessions)
    assert values["plugged"].max() <= 611


def test_ev_sub_meter_carries_the_sessions_and_units_differ(site: Site) -> None:
    frame = site_frame(site, _day_index(MONDAY))
    base = float(site.device("meter-ev-charging").simulate["base_kw"])
    assert np.allclose(frame["load_kw/meter-ev-charging"], base + frame["ev_power_kw"])
    # every wind turbine and storage unit has its own gusts, size and schedule, so no trace hides another
    assert not np.allclose(frame["wind_kw/wind-turbine-1"], frame["wind_kw/wind-turbine-2"])
    assert not np.allclose(frame["soc/storage-1"], frame["soc/storage-2"])


def test_platform_values_memory_does_not_grow_with_the_range(site: Site) -> None:
    import tracemalloc

    def peak_mb(days: int) -> float:
        index = pd.date_range(MONDAY, periods=days * 1440, freq="1min").tz_convert("UTC")
        sessions = charging_sessions(site, index[0], index[-1])
        tracemalloc.start()
        fleet_values(sessions, index)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20

    # a week at one minute as one sessions x instants matrix was ~50x a day's; in day blocks it stays near one
    assert peak_mb(7) < 2.0 * peak_mb(1)
