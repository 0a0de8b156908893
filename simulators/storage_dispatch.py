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
    planned_kw: np.ndarray | None = None,
    grid_limit_kw: np.ndarray | None = None,
) -> Dispatch:
    """Step through one unit's day(s). ``net_demand_kw`` is this unit's share of load minus PV and wind;
    the unit charges until ``discharge_from_h`` and discharges from then until 22:00.

    ``planned_kw`` (+ discharge, - charge; NaN where no plan covers the step): where it holds a number the unit
    follows it as the PCS would, within its rating and between reserve and full; elsewhere the rule above runs,
    on the same state of charge. ``grid_limit_kw`` (this unit's share of the plan's demand limit, NaN: none):
    on a planned step the PCS charges less or discharges more so its share of the import stays under the limit
    (a demand guard, as an EMS holds the month's peak; the plan met the limit only on the forecast)."""
    e_min = RESERVE_SOC * unit.capacity_kwh
    power = np.zeros(len(hours))
    soc = np.zeros(len(hours))
    planned = np.full(len(hours), np.nan) if planned_kw is None else np.asarray(planned_kw, dtype=float)
    limit = np.full(len(hours), np.nan) if grid_limit_kw is None else np.asarray(grid_limit_kw, dtype=float)
    energy, previous_day = e_min, None
    steps = zip(hours.tolist(), day.tolist(), pv_share_kw.tolist(), net_demand_kw.tolist(), planned.tolist(),
                limit.tolist(), strict=True)
    for i, (h, d, pv, net, want, cap) in enumerate(steps):
        if d != previous_day:
            energy, previous_day = e_min, d
        if want == want:  # a planned step (NaN != NaN)
            p = float(np.clip(want if cap != cap else max(want, net - cap), -unit.power_kw, unit.power_kw))
        elif CHARGE_HOURS[0] <= h < discharge_from_h:
            p = -max(-net, PV_SHARE_WHEN_NO_SURPLUS * pv)
        elif discharge_from_h <= h < DISCHARGE_HOURS[1]:
            hours_left = max(DISCHARGE_HOURS[1] - h, step_h)
            p = min((energy - e_min) * ONE_WAY_EFFICIENCY / hours_left, max(net, 0.0))
        else:
            p = 0.0
        p, energy = _within_limits(unit, p, energy, step_h)
        power[i] = p
        soc[i] = energy / unit.capacity_kwh
    return Dispatch(power_kw=power, soc=soc)


def _within_limits(unit: StorageUnit, p: float, energy: float, step_h: float) -> tuple[float, float]:
    """The power the PCS can give for a wish ``p`` (+ discharge) this step, and the energy after it (kWh)."""
    e_min, e_max = RESERVE_SOC * unit.capacity_kwh, MAX_SOC * unit.capacity_kwh
    if p >= 0:
        p = max(min(p, unit.power_kw, (energy - e_min) * ONE_WAY_EFFICIENCY / step_h), 0.0)
        return p, energy - p * step_h / ONE_WAY_EFFICIENCY
    p = -max(min(-p, unit.power_kw, (e_max - energy) / (step_h * ONE_WAY_EFFICIENCY)), 0.0)
    return p, energy - p * step_h * ONE_WAY_EFFICIENCY


def discharge_start_h(unit: StorageUnit, seed: int) -> float:
    """Each unit's own switch from charging to discharging, 13:30-15:00, drawn from (seed, unit): two units
    with one schedule would plot as one trace."""
    draw = np.random.default_rng([seed, zlib.crc32(unit.device.encode())]).random()
    return 13.5 + 1.5 * float(draw)


def cell_temperatures_c(air_temp_c: np.ndarray, power_kw: np.ndarray, rated_kw: float) -> tuple[np.ndarray, np.ndarray]:
    """(max, min) cell temperature: the container is air-conditioned to ~25 degC, load heats the hottest cells."""
    base = 25.0 + 0.1 * (air_temp_c - 25.0)
    rise = 6.0 * np.abs(power_kw) / rated_kw
    return base + 1.0 + rise, base - 1.0 + 0.3 * rise
