"""The site's physics in one frame: weather, PV, wind, loads, storage and the grid, as pure seeded functions.

``site_frame(site, index, seed)`` returns one row per instant and named columns (powers in kW), such as
``pv_ac_kw/pv-inv-01``, ``load_kw/meter-lighting``, ``storage_kw/storage-1``, ``grid_kw/grid-meter-1``.
The grid closes the balance exactly: grid import - export = consumption - PV - wind - discharge + charge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.site import Site
from simulators import building, ev_sessions, solar, storage_dispatch, weather, wind
from simulators.weather import local_days_and_minutes


def submeters(site: Site) -> list[str]:
    """Devices whose ``simulate`` hint carries a load (the subsystem sub-meters)."""
    return [d.id for d in site.devices if "base_kw" in d.simulate]


def step_hours(index: pd.DatetimeIndex) -> float:
    if len(index) < 2:
        return 1.0 / 60.0
    return float((index[1] - index[0]).total_seconds()) / 3600.0


def _weather(site: Site, index: pd.DatetimeIndex, seed: int) -> dict[str, np.ndarray]:
    tz = site.info.timezone
    sky = solar.sun_and_sky(site, index)
    cloud = weather.cloud_factor(index, tz, seed)
    out = {
        "outdoor_temp_c": weather.outdoor_temperature_c(index, tz, seed),
        "wind_ms": weather.hub_wind_speed_ms(index, tz, seed),
        "ghi_wm2": sky["ghi_clear"].to_numpy() * cloud,
        "zenith_deg": sky["zenith"].to_numpy(),
    }
    out["daylight"] = np.clip(out["ghi_wm2"] / 600.0, 0.0, 1.0)
    out["dark"] = (out["zenith_deg"] > 92.0).astype(float)  # civil dusk: street lights on
    out["humidity_pct"] = np.clip(85.0 - 1.5 * (out["outdoor_temp_c"] - 20.0) + 5 * cloud, 40.0, 99.0)
    out["_sky"] = sky  # type: ignore[assignment]
    out["_cloud"] = cloud
    return out


def _pv(site: Site, w: dict[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    sky, cloud = w["_sky"], w["_cloud"]
    for array in site.energy_systems.pv:
        # every inverter of an array sees its declared plane: a differently oriented roof is another array
        poa = solar.plane_of_array(sky, array.tilt_deg, array.azimuth_deg, cloud)  # type: ignore[arg-type]
        cell = solar.cell_temperature_c(poa, w["outdoor_temp_c"], w["wind_ms"] * 0.5)
        for n, inverter_id in enumerate(array.inverters):
            device = site.device(inverter_id)
            kwp = float(device.simulate.get("capacity_kwp", array.capacity_kwp / len(array.inverters)))
            mismatch = 0.97 + 0.04 * np.random.default_rng([seed, n, 7]).random()  # strings age differently
            dc, ac = solar.inverter_ac_kw(poa, cell, kwp * mismatch, device.rated_kw or kwp, array.gamma_pdc_per_c)
            cols[f"pv_dc_kw/{inverter_id}"], cols[f"pv_ac_kw/{inverter_id}"] = dc, ac
            cols[f"cell_temp_c/{inverter_id}"] = cell
        cols[f"poa_wm2/{array.id}"] = poa
        cols[f"module_temp_c/{array.id}"] = cell
    return cols


def _loads(site: Site, index: pd.DatetimeIndex, w: dict[str, np.ndarray], seed: int,
           plan: pd.DataFrame | None = None, generation_kw: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    tz = site.info.timezone
    occ = building.occupancy(index, tz)
    cooling = building.cooling_demand(w["outdoor_temp_c"])
    cols = {"occupancy": occ, "cooling": cooling}
    platform = ev_sessions.ev_platform(site)
    ev_meters = []
    for meter_id in submeters(site):
        device = site.device(meter_id)
        if platform is not None and device.subsystem == platform.subsystem:
            ev_meters.append(meter_id)
            continue
        activity = building.subsystem_activity(device.subsystem, occ, cooling, w["daylight"], w["dark"])
        noise = weather.minute_noise(seed, f"load-{meter_id}", index, tz, 0.9)
        base = float(device.simulate["base_kw"])
        peak = float(device.simulate.get("peak_kw", base))
        cols[f"load_kw/{meter_id}"] = building.submeter_kw(base, peak, activity, noise)
    ev_base = sum(float(site.device(m).simulate["base_kw"]) for m in ev_meters)
    fixed = sum(v for k, v in cols.items() if k.startswith("load_kw/")) + ev_base - generation_kw
    ev = _ev_fleet(site, index, seed, plan, fixed)
    for meter_id in ev_meters:
        # the chargers' sessions are the EV sub-meter's load, on top of the platform's own base load
        cols[f"load_kw/{meter_id}"] = float(site.device(meter_id).simulate["base_kw"]) + ev["ev_power_kw"]
    ordered = {"occupancy": occ, "cooling": cooling, **ev}  # the columns in their usual order
    return {**ordered, **{f"load_kw/{m}": cols[f"load_kw/{m}"] for m in submeters(site)}}


def _ev_fleet(site: Site, index: pd.DatetimeIndex, seed: int, plan: pd.DataFrame | None = None,
              fixed_kw: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
    """The charger fleet's power, chargers in use and session starts (``ev_*`` columns; none without a fleet).
    A plan's ``ev_kw`` caps the fleet's charging where it covers the step, and within the plan's
    ``grid_limit_kw`` above the rest of the site's net demand ``fixed_kw`` (load management holds the demand
    limit, as the storage's guard does); every car still leaves charged."""
    if ev_sessions.ev_platform(site) is None:
        return {}
    end = index[-1] + pd.Timedelta(hours=step_hours(index))
    sessions = ev_sessions.charging_sessions(site, index[0], end, seed)
    values = ev_sessions.fleet_values(sessions, index)
    cap, limit = setpoint(plan, "ev_kw", index), setpoint(plan, "grid_limit_kw", index)
    if cap is not None and limit is not None:
        cap = np.where(np.isnan(limit), cap, np.minimum(cap, np.maximum(limit - fixed_kw, 0.0)))
    if cap is not None and np.isfinite(cap).any():
        values["power_kw"] = ev_sessions.managed_power_kw(sessions, index, cap)
    return {f"ev_{name}": v for name, v in values.items()}


def setpoint(plan: pd.DataFrame | None, column: str, index: pd.DatetimeIndex) -> np.ndarray | None:
    """A plan column on ``index``: each planned step holds for its own interval (15 min -> 1 min), NaN where no
    step of the plan covers the instant (there the simulator keeps its rules)."""
    if plan is None or column not in plan.columns or plan.empty:
        return None
    series = plan[column].sort_index()
    step = series.index[1] - series.index[0] if len(series) > 1 else pd.Timedelta("15min")
    at = series.reindex(index, method="ffill", tolerance=step - pd.Timedelta("1ns")).to_numpy(dtype=float)
    return np.where((index >= series.index[0]) & (index < series.index[-1] + step), at, np.nan)


def _storage_and_grid(site: Site, index: pd.DatetimeIndex, cols: dict[str, np.ndarray], seed: int,
                      plan: pd.DataFrame | None = None) -> None:
    load = sum(v for k, v in cols.items() if k.startswith("load_kw/"))
    pv = sum(v for k, v in cols.items() if k.startswith("pv_ac_kw/"))
    wind_kw = sum(v for k, v in cols.items() if k.startswith("wind_kw/"))
    net = np.asarray(load - pv - wind_kw, dtype=float)
    day, minute, _ = local_days_and_minutes(index, site.info.timezone)
    units = site.energy_systems.storage
    battery = np.zeros(len(index))
    rated = sum(u.power_kw for u in units)
    limit = setpoint(plan, "grid_limit_kw", index)  # the plan's demand limit: the PCS guard holds it
    for unit in units:
        share = unit.power_kw / rated  # a bigger PCS takes a bigger part of the PV and the peak
        result = storage_dispatch.dispatch_unit(unit, minute / 60.0, day, step_hours(index), pv * share, net * share,
                                                storage_dispatch.discharge_start_h(unit, seed),
                                                planned_kw=setpoint(plan, f"storage_kw/{unit.device}", index),
                                                grid_limit_kw=None if limit is None else limit * share)
        cols[f"storage_kw/{unit.device}"], cols[f"soc/{unit.device}"] = result.power_kw, result.soc
        battery = battery + result.power_kw
    grid_net = net - battery
    meters = [m for g in site.energy_systems.grid for m in g.meters]
    for meter_id in meters:
        cols[f"grid_kw/{meter_id}"] = grid_net / len(meters)  # two transformer banks share the load evenly


def site_frame(site: Site, index: pd.DatetimeIndex, seed: int = 0, plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every physical quantity of the site at ``index`` (tz-aware, evenly spaced), reproducible by ``seed``.

    ``plan``: columns ``storage_kw/<device>`` (kW, + discharge) and optionally ``ev_kw`` (the EV fleet's charging
    power) on a time index; where a plan step covers an instant the units follow it (within their limits) and the
    fleet charges at most that power, elsewhere the built-in rules run: the loop from tomorrow's plan back to the
    site closes here (``models.plan_file`` carries the plan from ``zerocarbon plan`` to the live site)."""
    if index.tz is None:
        raise ValueError("site_frame needs a tz-aware index (UTC or the site's zone)")
    w = _weather(site, index, seed)
    cols: dict[str, np.ndarray] = {k: v for k, v in w.items() if not k.startswith("_")}
    cols.update(_pv(site, w, seed))
    for turbine in site.energy_systems.wind:
        # each turbine stands in its own gusts (own noise stream) and is scaled to its own hub height
        local_ms = wind.turbine_wind_ms(w["wind_ms"], turbine, weather.minute_noise(
            seed, f"wind-{turbine.device}", index, site.info.timezone, 0.9))
        cols[f"wind_ms/{turbine.device}"] = local_ms
        cols[f"wind_kw/{turbine.device}"] = wind.power_curve_kw(local_ms, turbine)
    generation = sum((v for k, v in cols.items() if k.startswith(("pv_ac_kw/", "wind_kw/"))), np.zeros(len(index)))
    cols.update(_loads(site, index, w, seed, plan, generation))
    _storage_and_grid(site, index, cols, seed, plan)
    frame = pd.DataFrame(cols, index=index)
    vis = building.visitors(index, site.info.timezone, seed)
    return pd.concat([frame, vis], axis=1)
