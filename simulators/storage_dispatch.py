"""Solar-plus-storage dispatch: charge from the PV in the morning, shave the afternoon and evening peak.

Each unit starts every local day at its reserve state of charge and is emptied back to it by 22:00, so one day
never depends on the previous one (histories can be computed day by day and agree with a whole-week run).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from models.site import StorageUnit

RESERVE_SOC = 0.10
MAX_SOC = 0.95
ONE_WAY_EFFICIENCY = 0.95  # ~90% round trip, lithium iron phosphate PCS + battery
CHARGE_HOURS = (8.0, 14.0)
DISCHARGE_HOURS = (14.0, 22.0)
PV_SHARE_WHEN_NO_SURPLUS = 0.35  # DC-coupled units always take part of their PV strings' output


@dataclass(frozen=True)
class Dispatch:
    power_kw: np.ndarray  # signed: + discharge to the building, - charge
    soc: np.ndarray  # 0-1, after each step


def dispatch_unit(
    unit: StorageUnit,
    hours: np.ndarray,
    day: np.ndarray,
    step_h: float,
    pv_share_kw: np.ndarray,
    net_demand_kw: np.ndarray,
    discharge_from_h: float = DISCHARGE_HOURS[0],
) -> Dispatch:
    """Step through one unit's day(s). ``net_demand_kw`` is this unit's share of load minus PV and wind;
    the unit charges until ``discharge_from_h`` and discharges from then until 22:00."""
    e_min, e_max = RESERVE_SOC * unit.capacity_kwh, MAX_SOC * unit.capacity_kwh
    power = np.zeros(len(hours))
    soc = np.zeros(len(hours))
    energy, previous_day = e_min, None
    steps = zip(hours.tolist(), day.tolist(), pv_share_kw.tolist(), net_demand_kw.tolist(), strict=True)
    for i, (h, d, pv, net) in enumerate(steps):
        if d != previous_day:
            energy, previous_day = e_min, d
        p = 0.0
        if CHARGE_HOURS[0] <= h < discharge_from_h:
            want = max(-net, PV_SHARE_WHEN_NO_SURPLUS * pv)
            p = -min(unit.power_kw, want, (e_max - energy) / (step_h * ONE_WAY_EFFICIENCY))
            energy -= p * step_h * ONE_WAY_EFFICIENCY
        elif discharge_from_h <= h < DISCHARGE_HOURS[1]:
            hours_left = max(DISCHARGE_HOURS[1] - h, step_h)
            p = min(unit.power_kw, (energy - e_min) * ONE_WAY_EFFICIENCY / hours_left, max(net, 0.0))
            energy -= p * step_h / ONE_WAY_EFFICIENCY
        power[i] = p
        soc[i] = energy / unit.capacity_kwh
    return Dispatch(power_kw=power, soc=soc)


def discharge_start_h(unit: StorageUnit, seed: int) -> float:
    """Each unit's own switch from charging to discharging, 13:30-15:00, drawn from (seed, unit): two units
    with one schedule would plot as one trace."""
    draw = np.random.default_rng([seed, zlib.crc32(unit.device.encode())]).random()
    return 13.5 + 1.5 * float(draw)


def follow_plan(unit: StorageUnit, day: np.ndarray, step_h: float, planned_kw: np.ndarray) -> Dispatch:
    """Follow a planned power (+ discharge, - charge) as the PCS would: within the unit's rating and between its
    reserve and full state of charge. Each local day starts at the reserve, as under the rule above."""
    e_min, e_max = RESERVE_SOC * unit.capacity_kwh, MAX_SOC * unit.capacity_kwh
    power = np.zeros(len(day))
    soc = np.zeros(len(day))
    energy, previous_day = e_min, None
    for i, (d, want) in enumerate(zip(day.tolist(), np.nan_to_num(planned_kw).tolist(), strict=True)):
        if d != previous_day:
            energy, previous_day = e_min, d
        p = float(np.clip(want, -unit.power_kw, unit.power_kw))
        if p >= 0:
            p = min(p, (energy - e_min) * ONE_WAY_EFFICIENCY / step_h)
            energy -= p * step_h / ONE_WAY_EFFICIENCY
        else:
            p = -min(-p, (e_max - energy) / (step_h * ONE_WAY_EFFICIENCY))
            energy -= p * step_h * ONE_WAY_EFFICIENCY
        power[i] = p
        soc[i] = energy / unit.capacity_kwh
    return Dispatch(power_kw=power, soc=soc)


def cell_temperatures_c(air_temp_c: np.ndarray, power_kw: np.ndarray, rated_kw: float) -> tuple[np.ndarray, np.ndarray]:
    """(max, min) cell temperature: the container is air-conditioned to ~25 degC, load heats the hottest cells."""
    base = 25.0 + 0.1 * (air_temp_c - 25.0)
    rise = 6.0 * np.abs(power_kw) / rated_kw
    return base + 1.0 + rise, base - 1.0 + 0.3 * rise
