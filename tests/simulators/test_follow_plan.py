"""The loop closes in simulation: the live site's storage and EV fleet follow the day's plan file, read over real
Modbus TCP, within the units' power and state-of-charge limits, and go back to their rules without one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.errors import PlanFileError
from models.plan_file import read_plan, write_plan
from models.site import Site
from simulators import live
from simulators.ev_sessions import charging_sessions, fleet_values, managed_power_kw
from tests.simulators.helpers import float32, modbus_client, read
from tests.support.simsite import start_simulated_site

TZ = "Asia/Shanghai"
START = datetime.fromisoformat("2026-10-14T10:05:00+08:00")  # a sunny Wednesday: the rule charges from PV now
QUARTERS = pd.date_range(pd.Timestamp("2026-10-14", tz=TZ), periods=96, freq="15min")


def _storage(site: Site, device: str) -> tuple[float, float]:
    """(p_kw, soc %) of a storage PCS over Modbus: int32 0.1 kW, low word first; uint16 0.1 %."""
    client = modbus_client(site, device, timeout_s=10.0)  # a deadline for a loaded host, not a speed goal
    try:
        low, high, soc = read(client, 0, 3)
    finally:
        client.close()
    raw = high << 16 | low
    return (raw - (1 << 32) if raw & 0x80000000 else raw) * 0.1, soc * 0.1


def _meter_kw(site: Site, device: str) -> float:
    client = modbus_client(site, device, timeout_s=10.0)
    try:
        return float32(read(client, 4, 2))
    finally:
        client.close()


def _until(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Wait for the plan to be taken up: the day's recompute it causes takes ~1 s quiet, far longer at load 10."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the simulator did not take up the plan file"
        time.sleep(0.2)


def _plan(site: Site) -> dict[str, list[float]]:
    one, two = (u.power_kw for u in site.energy_systems.storage)
    hour = QUARTERS.hour
    unit1 = np.where(hour < 4, -2 * one, np.where(hour == 10, 300.0, 0.0))  # fill at night, 300 kW at 10:00
    unit2 = np.where(hour == 10, 10 * two, 0.0)  # never charged: cannot discharge below its reserve
    ev = np.where(hour == 10, 0.0, 5000.0)  # no EV charging planned 10:00-11:00
    return {"storage_kw/storage-1": unit1.tolist(), "storage_kw/storage-2": unit2.tolist(), "ev_kw": ev.tolist()}


def test_live_storage_and_ev_follow_the_plan_file_within_limits(site: Site, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "PLAN_CHECK_S", 0.2)
    handle = start_simulated_site(site, None, start_time=START, tick_s=0.2, plans=tmp_path)
    try:
        ruled, _ = _storage(handle.site, "storage-1")
        ev_ruled = _meter_kw(handle.site, "meter-ev-charging")
        assert ruled < -1.0 and handle.state.plan_in_use is None  # no plan: the rule charges from the PV

        write_plan(tmp_path, {"day": "2026-10-14"}, TZ, _plan(site))
        _until(lambda: abs(_storage(handle.site, "storage-1")[0] - 300.0) < 0.2)
        before = handle.snapshot()[0]  # the registers read next are of a tick between these two instants
        kw, soc = _storage(handle.site, "storage-1")
        after = handle.snapshot()[0]
        capacity = site.energy_systems.storage[0].capacity_kwh

        def expected(ts: float) -> float:
            """Full (95 %) from the night's charge at the 500 kW rating, minus 300 kW since 10:00 through 95 %
            efficiency; the frame's SoC is the state at the end of each minute, interpolated between."""
            minutes = (ts - START.timestamp()) / 60.0 + 5.0 + 1.0
            return (0.95 * capacity - 300.0 * minutes / 60.0 / 0.95) / capacity * 100.0

        assert expected(after) - 0.15 <= soc <= expected(before) + 0.15  # discharging: SoC falls with time
        assert _storage(handle.site, "storage-2") == pytest.approx((0.0, 10.0), abs=0.05)  # at its reserve
        assert handle.state.plan_in_use == str(tmp_path / "2026-10-14.json")

        base = float(site.device("meter-ev-charging").simulate["base_kw"])
        ev_planned = _meter_kw(handle.site, "meter-ev-charging")
        assert base - 0.5 <= ev_planned < ev_ruled - 50.0  # only the cars that must charge now charge

        (tmp_path / "2026-10-14.json").unlink()  # no plan any more: back to the rules
        _until(lambda: _storage(handle.site, "storage-1")[0] < -1.0)
    finally:
        handle.stop()


def test_a_broken_plan_file_names_the_key_and_the_site_keeps_its_rules(site: Site, tmp_path: Path) -> None:
    path = write_plan(tmp_path, {"day": "2026-10-14"}, TZ, {"storage_kw/storage-1": [0.0] * 95})
    with pytest.raises(PlanFileError, match=r"2026-10-14.json: setpoints.storage_kw/storage-1: needs 96 values"):
        read_plan(tmp_path, QUARTERS[0].date())
    path.write_text('{"kind": "zerocarbon.plan", "version": 1,', encoding="utf-8")
    with pytest.raises(PlanFileError, match="not JSON"):
        read_plan(tmp_path, QUARTERS[0].date())
    assert read_plan(tmp_path, QUARTERS[1].date() + pd.Timedelta(days=1)) is None  # no file for that day
    state = live.LiveState(site, plans=tmp_path)  # a broken file: the rules run, nothing raises
    state.advance(START.timestamp())
    assert state.plan_in_use is None


def test_a_capped_fleet_still_charges_every_car_before_it_leaves(site: Site) -> None:
    index = pd.date_range(pd.Timestamp("2026-11-02", tz=TZ), periods=1441, freq="1min").tz_convert("UTC")
    sessions = charging_sessions(site, index[0], index[-1])
    free = fleet_values(sessions, index)["power_kw"]
    np.testing.assert_allclose(managed_power_kw(sessions, index, np.full(len(index), np.nan)), free, atol=1e-9)
    capped = managed_power_kw(sessions, index, np.full(len(index), 300.0))
    assert capped.sum() / 60.0 == pytest.approx(sessions["energy_kwh"].sum(), rel=1e-9)  # every kWh delivered
    assert capped.max() < free.max()  # the cap flattens the peak ...
    assert (capped > 300.0 + 1e-6).mean() < 0.3  # ... and holds except where a departing car must charge
