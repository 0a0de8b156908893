"""A small, physically consistent history of the site's energy points for console tests and the benchmark.

Deterministic curves (not the simulator): PV and irradiance follow a half-sine from 06:00 to 18:00 local time,
subsystems draw a base load plus a daytime bump, batteries charge 10-14 h and discharge 18-22 h, the grid
supplies the rest. Counters integrate the same powers, so energy and power agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from models.site import Site
from models.vocabulary import EnergyRole, PointKind

PV_PEAK_KW_PER_INVERTER = 90.0
SUBSYSTEM_BASE_KW = 120.0
SUBSYSTEM_DAY_KW = 80.0
BATTERY_KW = 200.0


def _profile(local_hours: np.ndarray) -> np.ndarray:
    return np.clip(np.sin(np.pi * (local_hours - 6.0) / 12.0), 0.0, None)


def seeded_frame(site: Site, start: datetime, end: datetime, step: str = "5min") -> pd.DataFrame:
    """Raw readings (store frame columns) for every energy-role point in ``[start, end)``."""
    ts = pd.date_range(pd.Timestamp(start).floor(step), pd.Timestamp(end), freq=step, inclusive="left", tz="UTC")
    local = ts.tz_convert(site.info.timezone)
    hours = np.asarray(local.hour + local.minute / 60.0, dtype=float)
    step_h = pd.Timedelta(step).total_seconds() / 3600.0
    sun = _profile(hours)
    powers = _powers(site, hours, sun, np.arange(len(ts)))
    columns: dict[str, np.ndarray] = {}
    for point in site.points():
        if point.role is None:
            continue
        key = _power_key(point.role, point.device, point.name)
        if point.kind is PointKind.ENERGY_COUNTER and key in powers:
            energy = np.cumsum(np.clip(powers[key], 0, None)) * step_h + 1000.0  # kWh, from a non-zero reading
            columns[point.id] = energy * (1000.0 if point.unit == "Wh" else 1.0)
        elif point.kind in (PointKind.POWER, PointKind.SOC, PointKind.IRRADIANCE, PointKind.TEMPERATURE,
                            PointKind.WIND_SPEED) and key in powers:
            columns[point.id] = powers[key] * (1000.0 if point.unit == "W" else 1.0)
    wide = pd.DataFrame(columns, index=ts)
    long = wide.rename_axis("ts").reset_index().melt(id_vars="ts", var_name="point_id", value_name="value")
    long["quality"] = "good"
    return long[["ts", "point_id", "value", "quality"]]


WEATHER_ROLES = (EnergyRole.IRRADIANCE_POA, EnergyRole.MODULE_TEMPERATURE, EnergyRole.OUTDOOR_TEMPERATURE,
                 EnergyRole.WIND_SPEED)


def _power_key(role: EnergyRole, device: str, name: str) -> str:
    """Site-wide weather values are keyed by role; everything else by role and device."""
    return str(role) if role in WEATHER_ROLES else f"{role}:{device}"


def _powers(site: Site, hours: np.ndarray, sun: np.ndarray, index: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {
        str(EnergyRole.IRRADIANCE_POA): 950.0 * sun,
        str(EnergyRole.MODULE_TEMPERATURE): 24.0 + 22.0 * sun,
        str(EnergyRole.OUTDOOR_TEMPERATURE): 22.0 + 6.0 * sun,
        str(EnergyRole.WIND_SPEED): 7.0 + 4.0 * np.sin(index / 17.0),
    }
    for array in site.energy_systems.pv:
        for inverter in array.inverters:
            out[f"pv:{inverter}"] = PV_PEAK_KW_PER_INVERTER * sun
    generation = sum(out[f"pv:{i}"] for a in site.energy_systems.pv for i in a.inverters)
    for turbine in site.energy_systems.wind:
        share = np.clip((out[str(EnergyRole.WIND_SPEED)] - turbine.cut_in_ms)
                        / (turbine.rated_speed_ms - turbine.cut_in_ms), 0.0, 1.0)
        out[f"wind:{turbine.device}"] = turbine.rated_kw * share**3
        generation = generation + out[f"wind:{turbine.device}"]
    load = np.zeros_like(hours)
    for point in site.points_by_role(EnergyRole.CONSUMPTION) + site.points_by_role(EnergyRole.EV_CHARGING):
        if point.kind is PointKind.POWER:
            out[f"{point.role}:{point.device}"] = SUBSYSTEM_BASE_KW + SUBSYSTEM_DAY_KW * _profile(hours)
            load = load + out[f"{point.role}:{point.device}"]
    battery = _battery(site, hours, out)
    net = load - generation - battery  # battery > 0 discharges
    for meter in site.energy_systems.grid[0].meters:
        share = 1.0 / len(site.energy_systems.grid[0].meters)
        out[f"grid_import:{meter}"] = np.clip(net, 0, None) * share
        out[f"grid_export:{meter}"] = np.clip(-net, 0, None) * share
    return out


def _battery(site: Site, hours: np.ndarray, out: dict[str, np.ndarray]) -> np.ndarray:
    charging = (hours >= 10) & (hours < 14)
    discharging = (hours >= 18) & (hours < 22)
    total = np.zeros_like(hours)
    for unit in site.energy_systems.storage:
        signed = np.where(discharging, BATTERY_KW, 0.0) - np.where(charging, BATTERY_KW, 0.0)
        out[f"battery_power:{unit.device}"] = signed
        out[f"battery_charge:{unit.device}"] = np.clip(-signed, 0, None)
        out[f"battery_discharge:{unit.device}"] = np.clip(signed, 0, None)
        out[f"soc:{unit.device}"] = np.where(hours < 18, 20.0 + 60.0 * np.clip((hours - 10) / 4, 0, 1),
                                             80.0 - 60.0 * np.clip((hours - 18) / 4, 0, 1))
        total = total + signed
    return total


def backfill(store: object, site: Site, now: datetime, days: float, step: str = "5min") -> int:
    """Write ``days`` of seeded history ending at ``now`` into ``store`` and build its rollups."""
    frame = seeded_frame(site, now - timedelta(days=days), now, step)
    rows = store.write_frame(frame)  # type: ignore[attr-defined]
    store.update_rollups()  # type: ignore[attr-defined]
    return int(rows)
