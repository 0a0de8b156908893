"""interval_energy and energy_by_role through a real store: counters measured, power estimated, gaps marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from models.site import PointInfo
from models.vocabulary import EnergyRole, PointKind
from storage.energy import energy_by_role, interval_energy, intervals

TZ = "Asia/Shanghai"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def point(pid: str, kind: PointKind, unit: str, role: EnergyRole | None = None) -> PointInfo:
    device, name = pid.split(".")
    return PointInfo(id=pid, device=device, name=name, unit=unit, kind=kind, role=role, subsystem="hvac",
                     group="default", interval_s=60.0)


def frame(pid: str, values: np.ndarray, start: datetime = T0) -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.date_range(start, periods=len(values), freq="1min", tz="UTC"),
                         "point_id": pid, "value": values, "quality": "good"})


def test_counter_energy_per_quarter_hour_is_measured(duck) -> None:
    duck.write_frame(frame("m.import_kwh", 1000.0 + 0.25 * np.arange(61)))  # 0.25 kWh/min = 15 kW
    energy = interval_energy(duck, [point("m.import_kwh", PointKind.ENERGY_COUNTER, "kWh")], T0,
                             T0 + timedelta(hours=1), "15min", TZ)
    # 00:00 bucket: 14 steps inside it; then 15 each; the 01:00 reading's step goes to the next hour (outside)
    assert energy["energy_kwh"].tolist() == pytest.approx([3.5, 3.75, 3.75, 3.75])
    assert energy["quality"].tolist() == ["measured"] * 4


def test_watt_hour_counter_is_converted_to_kwh(duck) -> None:
    duck.write_frame(frame("inv.WH", 5_000_000.0 + 1000.0 * np.arange(60)))  # 1000 Wh per minute
    energy = interval_energy(duck, [point("inv.WH", PointKind.ENERGY_COUNTER, "Wh")], T0, T0 + timedelta(hours=1),
                             "hour", TZ)
    assert energy["energy_kwh"].tolist() == pytest.approx([59.0])  # 59 steps × 1 kWh


def test_glitch_and_reset_are_counted_and_do_not_spike(store) -> None:
    duck = store  # both backends must give the auditor the same numbers
    values = 1000.0 + np.arange(60.0)
    values[10] = 0.0  # a glitch: 0 then back
    values[40:] = np.arange(20.0) * 1.0 + 0.5  # a reset to 0.5, then counting again
    duck.write_frame(frame("m.e", values))
    energy = interval_energy(duck, [point("m.e", PointKind.ENERGY_COUNTER, "kWh")], T0, T0 + timedelta(hours=1),
                             "hour", TZ)
    row = energy.iloc[0]
    assert (row["resets"], row["glitches"]) == (1, 1)
    # 0..39: 39 kWh of steps (the glitch minute is held, the step back adds only 1); reset adds 0.5; 19 steps after
    assert row["energy_kwh"] == pytest.approx(39 + 0.5 + 19)


def test_missing_readings_mark_the_interval_as_gap(duck) -> None:
    values = 1000.0 + np.arange(60.0)
    f = frame("m.e", values)
    duck.write_frame(f[(f.index < 20) | (f.index >= 37)])  # no readings 00:20-00:36 (limit: 5 min)
    energy = interval_energy(duck, [point("m.e", PointKind.ENERGY_COUNTER, "kWh")], T0, T0 + timedelta(hours=1),
                             "15min", TZ)
    assert energy["quality"].tolist() == ["measured", "gap", "gap", "measured"]
    assert energy["energy_kwh"].sum() == pytest.approx(59.0)  # the gap's energy arrives with the next reading


def test_power_point_gives_an_estimate(duck) -> None:
    duck.write_frame(frame("chiller.p_kw", np.full(60, 120.0)))
    energy = interval_energy(duck, [point("chiller.p_kw", PointKind.POWER, "kW")], T0, T0 + timedelta(hours=1),
                             "hour", TZ)
    assert energy["energy_kwh"].tolist() == pytest.approx([120.0])  # 120 kW × 1 h
    assert energy["quality"].tolist() == ["estimated"]


def test_interval_with_no_data_is_a_gap_with_zero_energy(duck) -> None:
    energy = interval_energy(duck, [point("m.e", PointKind.ENERGY_COUNTER, "kWh")], T0, T0 + timedelta(hours=2),
                             "hour", TZ)
    assert energy["quality"].tolist() == ["gap", "gap"]
    assert energy["energy_kwh"].tolist() == [0.0, 0.0]


def test_non_energy_point_is_refused_by_name(duck) -> None:
    with pytest.raises(ValueError, match="t.temp"):
        interval_energy(duck, [point("t.temp", PointKind.TEMPERATURE, "degC")], T0, T0 + timedelta(hours=1),
                        "hour", TZ)


def test_months_are_local_calendar_months() -> None:
    grid = intervals(datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC), "month", TZ)
    assert [s.isoformat() for s in grid["start"]] == [
        "2025-12-31T16:00:00+00:00", "2026-01-31T16:00:00+00:00", "2026-02-28T16:00:00+00:00"]


def test_energy_by_role_prefers_counters_and_sums_per_subsystem(duck, site) -> None:
    counters = [p for p in site.points() if p.role is EnergyRole.PV and p.kind is PointKind.ENERGY_COUNTER]
    powers = [p for p in site.points() if p.role is EnergyRole.PV and p.kind is PointKind.POWER]
    for p in counters:
        duck.write_frame(frame(p.id, 1_000_000.0 + 500.0 * np.arange(61)))  # 0.5 kWh per minute (in Wh)
    for p in powers:
        duck.write_frame(frame(p.id, np.full(61, 99_999.0)))  # must be ignored: the counters win
    table = energy_by_role(duck, site, T0, T0 + timedelta(hours=1), "hour")
    pv = table[table["role"] == "pv"]
    assert pv["energy_kwh"].sum() == pytest.approx(len(counters) * 29.5)  # 59 steps × 0.5 kWh in the hour
    assert set(pv["quality"]) == {"measured"}


def test_unknown_interval_is_refused_with_the_choices(duck) -> None:
    with pytest.raises(ValueError, match="15min, hour, day, month"):
        interval_energy(duck, [], T0, T0 + timedelta(hours=1), "week", TZ)
