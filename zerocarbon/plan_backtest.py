"""A backtested month on the simulated site: the LP plan (made each evening from the day-ahead forecasts and
followed by the simulator's storage units the next day) against the simulator's rule-based dispatch.

Both months are simulated at one minute with the same seed (same weather, loads and EV sessions); only the
storage differs. Each day's plan knows the month's demand peak realised so far under the plan. Costs use
``planning.cost`` on the quarter-hour energy, emissions the location-based grid factor (hourly where the factor
file gives a profile).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.site import Site
from planning import backtest as bt
from planning.config import PlanningConfig
from planning.cost import energy_cost
from planning.dispatch import Battery, Prices, plan_storage
from planning.ev import envelope, unmanaged_kw
from planning.pv_forecast import inverters_of
from zerocarbon.plan_wiring import PlanFiles, local_index, planning_frame, simulated_truth

TRAINING_DAYS = 365


def batteries_of(site: Site, config: PlanningConfig) -> list[Battery]:
    return [Battery(u.device, u.power_kw, u.capacity_kwh, start_soc=config.storage.start_soc,
                    end_soc=config.storage.end_soc) for u in site.energy_systems.storage]


def energy_frame(site: Site, truth: pd.DataFrame) -> pd.DataFrame:
    """The simulator's one-minute truth as ``energy_by_role`` rows at 15 minutes (grid import and export,
    consumption per subsystem), all ``measured``."""
    step_h = (truth.index[1] - truth.index[0]).total_seconds() / 3600.0
    grid = truth[[c for c in truth.columns if c.startswith("grid_kw/")]].sum(axis=1)
    parts = {("grid_import", "power_distribution"): grid.clip(lower=0.0) * step_h,
             ("grid_export", "power_distribution"): (-grid).clip(lower=0.0) * step_h}
    for device in site.devices:
        if f"load_kw/{device.id}" in truth.columns:
            key = ("consumption", device.subsystem)
            parts[key] = parts.get(key, 0.0) + truth[f"load_kw/{device.id}"] * step_h
    rows = []
    for (role, subsystem), kwh in parts.items():
        q = kwh.groupby(kwh.index.floor("15min")).sum()
        rows.append(pd.DataFrame({"start": q.index.tz_convert("UTC"), "role": role, "subsystem": subsystem,
                                  "energy_kwh": q.to_numpy(), "quality": "measured"}))
    return pd.concat(rows, ignore_index=True)


def outcome(site: Site, files: PlanFiles, truth: pd.DataFrame, factor: pd.Series) -> dict[str, float]:
    energy = energy_frame(site, truth)
    cost = energy_cost(energy, files.tariffs, site.info.timezone)
    imports = energy[energy["role"] == "grid_import"].set_index("start")["energy_kwh"]
    kg = float((imports.to_numpy() * factor.reindex(imports.index.tz_convert(site.info.timezone)).to_numpy()).sum())
    step_h = (truth.index[1] - truth.index[0]).total_seconds() / 3600.0
    storage = truth[[c for c in truth.columns if c.startswith("storage_kw/")]].sum(axis=1)
    charged, discharged = float((-storage).clip(lower=0).sum() * step_h), float(storage.clip(lower=0).sum() * step_h)
    return {"energy_yuan": round(cost.energy_yuan, 2), "demand_yuan": round(cost.demand_yuan, 2),
            "total_yuan": round(cost.total_yuan, 2), "import_kwh": round(float(imports.sum()), 1),
            "tco2e": round(kg / 1000.0, 3), "peak_kw": round(float(cost.by_month["peak_kw"].max()), 1),
            "storage_charged_kwh": round(charged, 1), "storage_discharged_kwh": round(discharged, 1),
            # what the round trips lost (the days start and end at the reserve): grid energy bought for nothing
            "storage_losses_kwh": round(charged - discharged, 1)}


def forecasts_for(site: Site, files: PlanFiles, first_day: str, days: int, seed: int) -> pd.DataFrame:
    """Day-ahead forecast of net demand (load − PV, kW) for each quarter hour of the month, as issued."""
    start = pd.Timestamp(first_day) - pd.Timedelta(days=TRAINING_DAYS)
    index = local_index(site, str(start.date()), TRAINING_DAYS + days)
    frame = planning_frame(site, simulated_truth(site, index, seed), seed)
    test_days = pd.date_range(first_day, periods=days, freq="D")
    load = bt.load_forecast(site, frame, files.calendar, test_days, retrain_days=days)
    pv = bt.pv_forecasts(site, inverters_of(site), frame)["weather_forecast"].reindex(load.index)
    ev = load["load_kw/ev_charging"] if "load_kw/ev_charging" in load else 0.0
    return pd.DataFrame({"load_kw": load.sum(axis=1), "pv_kw": pv.sum(axis=1), "ev_kw": ev}, index=load.index)


def ev_flexibility(site: Site, day: pd.DataFrame, batteries: list[Battery], prices: Prices, config: PlanningConfig,
                   seed: int) -> tuple[float, pd.DataFrame | None]:
    """Expected yuan saved on one day by planning the EV fleet's charging too (the simulator's sessions of the
    day taken as known the evening before, as bookings would be): the LP with the fleet's envelope against the
    LP with the fleet charging at full power from arrival; and that plan (storage and ``ev_kw``), which the
    simulator then follows."""
    from simulators.ev_sessions import charging_sessions, ev_platform

    platform = ev_platform(site)
    if platform is None:
        return 0.0, None
    end = day.index[-1] + pd.Timedelta("15min")
    sessions = charging_sessions(site, day.index[0].tz_convert("UTC"), end.tz_convert("UTC"), seed)
    base_kw = float(next(d for d in site.devices if d.subsystem == "ev_charging" and "base_kw" in d.simulate)
                    .simulate["base_kw"])
    fixed = (day["load_kw"] - day["ev_kw"] + base_kw - day["pv_kw"]).to_numpy()
    managed = plan_storage(day.index, fixed, batteries, prices, config.storage.grid_charging,
                           ev=envelope(sessions, day.index))
    unmanaged = plan_storage(day.index, fixed + unmanaged_kw(sessions, day.index), batteries, prices,
                             config.storage.grid_charging)
    return unmanaged.objective_yuan - managed.objective_yuan, managed.frame


def compare_month(site: Site, files: PlanFiles, config: PlanningConfig, factor_of, month: str,  # type: ignore[no-untyped-def]
                  seed: int = 0) -> dict[str, Any]:
    """Plan-following month against the rule-based month: yuan, tCO2e and peak kW, and the savings."""
    first = pd.Period(month, "M")
    days = first.days_in_month
    fc = forecasts_for(site, files, str(first.start_time.date()), days, seed)
    minute = pd.date_range(fc.index[0], fc.index[-1] + pd.Timedelta("15min"), freq="1min", inclusive="left")
    factor = factor_of(fc.index)
    rule = simulated_truth(site, minute, seed)
    batteries, plans, ev_plans, ev_saved = batteries_of(site, config), [], [], 0.0
    peaks = {"lp": 0.0, "ev": 0.0}  # each run's month peak realised so far: its next plan's demand already paid
    for _, day in fc.groupby(fc.index.tz_localize(None).normalize()):
        today = minute[(minute >= day.index[0]) & (minute < day.index[-1] + pd.Timedelta("15min"))]
        plan = plan_storage(day.index, (day["load_kw"] - day["pv_kw"]).to_numpy(), batteries,
                            _prices(files, config, factor, day.index, peaks["lp"]), config.storage.grid_charging)
        plans.append(plan.frame)
        peaks["lp"] = max(peaks["lp"], _realised_peak(site, today, seed, plan.frame))
        saving, ev_plan = ev_flexibility(site, day, batteries, _prices(files, config, factor, day.index, peaks["ev"]),
                                         config, seed)
        ev_saved += saving
        if ev_plan is not None:
            ev_plans.append(ev_plan)
            peaks["ev"] = max(peaks["ev"], _realised_peak(site, today, seed, ev_plan))
    followed = simulated_truth(site, minute, seed, plan=pd.concat(plans))
    base, new = outcome(site, files, rule, factor), outcome(site, files, followed, factor)
    with_ev = (outcome(site, files, simulated_truth(site, minute, seed, plan=pd.concat(ev_plans)), factor)
               if ev_plans else None)
    return {"month": month, "days": days, "seed": seed, "rule_based": base, "lp_plan": new,
            "saved": {"yuan": round(base["total_yuan"] - new["total_yuan"], 2),
                      "tco2e": round(base["tco2e"] - new["tco2e"], 3),
                      "peak_kw_reduced": round(base["peak_kw"] - new["peak_kw"], 1),
                      "storage_losses_kwh_added": round(new["storage_losses_kwh"] - base["storage_losses_kwh"], 1)},
            "carbon_trade_off": carbon_trade_off(base, new, factor, config),
            "carbon_price_yuan_per_tco2e": config.carbon.price_yuan_per_tco2e,
            "grid_charging": config.storage.grid_charging, "forecast": "day-ahead (simulated weather forecast)",
            "ev_smart_charging_expected_yuan": round(ev_saved, 2),
            "lp_plan_with_ev": with_ev,
            "saved_with_ev": None if with_ev is None else {
                "yuan": round(base["total_yuan"] - with_ev["total_yuan"], 2),
                "tco2e": round(base["tco2e"] - with_ev["tco2e"], 3),
                "peak_kw_reduced": round(base["peak_kw"] - with_ev["peak_kw"], 1)},
            "ev_note": "lp_plan_with_ev: storage and EV charging planned together on the fleet envelope of "
                       "simulators/ev_sessions.py sessions taken as known a day ahead, and followed by the simulator "
                       "(every car still charged before it leaves), with its own month peak so far",
            "nmae_net_forecast": round(bt.nmae(fc["load_kw"].to_numpy() - fc["pv_kw"].to_numpy(),
                                               _actual_net(site, rule, fc.index)), 4)}


def _prices(files: PlanFiles, config: PlanningConfig, factor: pd.Series, index: pd.DatetimeIndex,
            month_peak_kw: float) -> Prices:
    return Prices(files.tariffs.prices(index)["price_yuan_per_kwh"].to_numpy(), factor.reindex(index).to_numpy(),
                  config.carbon.price_yuan_per_tco2e, files.tariffs.demand_rate(index[0].date().replace(day=1)),
                  month_peak_kw, config.storage.throughput_yuan_per_kwh)


def _realised_peak(site: Site, today: pd.DatetimeIndex, seed: int, plan: pd.DataFrame) -> float:
    """The day's highest quarter-hour import when the simulator follows ``plan``."""
    done = simulated_truth(site, today, seed, plan=plan)
    grid = done[[c for c in done.columns if c.startswith("grid_kw/")]].sum(axis=1)
    return float(grid.groupby(grid.index.floor("15min")).mean().max())


def carbon_trade_off(base: dict[str, float], new: dict[str, float], factor: pd.Series,
                     config: PlanningConfig) -> dict[str, Any]:
    """The plan's yuan saved against the tCO2e it adds, said plainly: the carbon price the plan weighed, the
    emissions of the extra round-trip losses at the mean grid factor, and whether the factor varies by hour (a
    flat factor gives the LP no cleaner hour to charge in, so every lost kWh adds emissions)."""
    added_t = round(new["tco2e"] - base["tco2e"], 3)
    mean_factor = float(factor.mean())
    losses_t = (new["storage_losses_kwh"] - base["storage_losses_kwh"]) * mean_factor / 1000.0
    return {"yuan_saved": round(base["total_yuan"] - new["total_yuan"], 2), "tco2e_added": added_t,
            "tco2e_of_extra_losses": round(losses_t, 3),
            "carbon_price_yuan_per_tco2e": config.carbon.price_yuan_per_tco2e,
            "carbon_cost_of_added_tco2e_yuan": round(max(added_t, 0.0) * config.carbon.price_yuan_per_tco2e, 2),
            "grid_factor_hourly": bool(factor.nunique() > 1), "grid_factor_mean_kg_per_kwh": round(mean_factor, 4),
            "knob": "config/planning.yaml carbon.price_yuan_per_tco2e (or zerocarbon plan --carbon-price)"}


def _actual_net(site: Site, truth: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    load = truth[[c for c in truth.columns if c.startswith("load_kw/")]].sum(axis=1)
    pv = truth[[c for c in truth.columns if c.startswith("pv_ac_kw/")]].sum(axis=1)
    return (load - pv).groupby(truth.index.floor("15min")).mean().reindex(index).to_numpy()
