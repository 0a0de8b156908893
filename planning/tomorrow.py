"""Tomorrow's plan from the store: read the recent quarter hours, forecast PV and load, solve the dispatch, and
price the plan against leaving the storage idle. What ``zerocarbon plan`` prints and the console's Plan page shows.

History (15-minute means from the store's rollups): each inverter's AC power, each subsystem's sub-meter power,
the weather station's GHI and air temperature, the day's visitor tickets, and the grid import (for the month's
demand peak so far). Tomorrow's weather comes from a forecast when one is given (the operators' feed, kept in the
data dir by ``collectors.weather_feed``, or a file); without one the PV is clear sky × recent clearness and the
load model sees yesterday's temperatures and clear-sky GHI. The record says which (``pv_forecast``: the source,
and the forecast's issue time and provider) and when the load models were fitted (``load_models_fitted_at``).

The load models are fitted once a day: :func:`fit_ahead` is what the scheduled service runs after midnight and at
start-up, so that the day's first plan only predicts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.errors import TooLittleHistory
from models.site import Site
from models.vocabulary import EnergyRole, PointKind
from models.weather_forecast import WeatherForecast
from planning import load_forecast as lf
from planning.calendar import WorkCalendar
from planning.config import PlanningConfig
from planning.dispatch import STEP_H, Battery, Prices, plan_storage
from planning.ev import envelope, unmanaged_kw
from planning.pv_forecast import clear_sky_ghi, forecast_pv, inverters_of
from planning.tariffs import TariffTable
from storage.base import Store

MIN_HISTORY_DAYS = 2  # two days give the trees both a night and a working day; weeks are better (see backtest)
FactorOf = Callable[[pd.DatetimeIndex], pd.Series]


def _power_points(site: Site, role: EnergyRole) -> list[Any]:
    return [p for p in site.points() if p.role == role and p.kind is PointKind.POWER]


def history_frame(store: Store, site: Site, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The planning frame of [start, end) (local midnights) from the store's 15-minute rollups."""
    index = pd.date_range(start, end, freq="15min", inclusive="left")
    pv, loads, grid = _power_points(site, EnergyRole.PV), _power_points(site, EnergyRole.CONSUMPTION), \
        _power_points(site, EnergyRole.GRID_IMPORT)
    weather = [p for p in site.points() if p.role == EnergyRole.OUTDOOR_TEMPERATURE or p.name == "ghi_wm2"]
    tickets = [p for p in site.points() if p.role == EnergyRole.VISITORS]
    ids = [p.id for p in [*pv, *loads, *grid, *weather, *tickets]]
    rows = store.read(ids, start.tz_convert("UTC").to_pydatetime(), end.tz_convert("UTC").to_pydatetime(), "15min")
    wide = rows.pivot_table(index="ts", columns="point_id", values="mean") if len(rows) else pd.DataFrame()
    wide = wide.reindex(index.tz_convert("UTC")).set_axis(index)
    peak = rows.pivot_table(index="ts", columns="point_id", values="max") if len(rows) else pd.DataFrame()
    frame = pd.DataFrame(index=index)
    for p in pv:
        frame[f"pv_kw/{p.device}"] = wide.get(p.id, np.nan) * (0.001 if p.unit == "W" else 1.0)
    for subsystem in sorted({p.subsystem for p in loads}):
        cols = [p.id for p in loads if p.subsystem == subsystem and p.id in wide]
        frame[f"load_kw/{subsystem}"] = wide[cols].sum(axis=1, min_count=1) if cols else np.nan
    frame["grid_kw"] = wide[[p.id for p in grid if p.id in wide]].sum(axis=1, min_count=1) if grid else np.nan
    temp = next((p.id for p in weather if p.role == EnergyRole.OUTDOOR_TEMPERATURE), None)
    ghi = next((p.id for p in weather if p.name == "ghi_wm2"), None)
    frame["temp_c"] = wide.get(temp, np.nan) if temp else np.nan
    frame["ghi_wm2"] = wide.get(ghi, np.nan) if ghi else np.nan
    count = peak.reindex(index.tz_convert("UTC")).set_axis(index).get(tickets[0].id) if tickets else None
    days = index.tz_localize(None).normalize()
    frame["visitors"] = (count.groupby(days).transform("max") if count is not None else np.nan)
    return frame


WEATHER, CLEAR_SKY = "weather forecast", "clear sky x recent clearness"


def _tomorrow_weather(site: Site, history: pd.DataFrame, index: pd.DatetimeIndex,
                      weather: pd.DataFrame | None) -> pd.DataFrame:
    if weather is not None:
        return weather.reindex(index).interpolate(limit_direction="both")
    yesterday = history["temp_c"].iloc[-96:].to_numpy()
    temp = yesterday if len(yesterday) == len(index) and np.isfinite(yesterday).any() else np.full(len(index), 25.0)
    return pd.DataFrame({"temp_c": temp, "ghi_wm2": clear_sky_ghi(site, index).to_numpy()}, index=index)


def _frame_of(weather: WeatherForecast | pd.DataFrame | None, tz: str) -> pd.DataFrame | None:
    if isinstance(weather, WeatherForecast):
        return weather.frame.tz_convert(tz)
    return weather


def pv_forecast_source(weather: WeatherForecast | pd.DataFrame | None) -> dict[str, Any]:
    """What tomorrow's PV forecast rests on: the source, and for a forecast its issue time and provider."""
    if weather is None:
        return {"source": CLEAR_SKY, "issued": None, "provider": None}
    if isinstance(weather, WeatherForecast):
        return {"source": WEATHER, "issued": weather.issued.isoformat(), "provider": weather.source}
    return {"source": WEATHER, "issued": None, "provider": None}


def forecast_day(site: Site, calendar: WorkCalendar, config: PlanningConfig, history: pd.DataFrame,
                 index: pd.DatetimeIndex, weather: pd.DataFrame | None,
                 read_training: lf.Reader | None = None) -> tuple[pd.DataFrame, str]:
    """``load_kw`` and ``pv_kw`` (site totals) and per-subsystem loads for ``index`` (tomorrow), and when the
    load models were fitted (ISO 8601, UTC)."""
    fc_weather = _tomorrow_weather(site, history, index, weather)
    pv = forecast_pv(site, inverters_of(site), index, history, fc_weather if weather is not None else None,
                     config.forecast.calibration_days, config.forecast.clearness_days)
    models, fitted_at = lf.day_models(site, calendar, history, index, None, read_training,
                                      config.forecast.history_days)  # fitted once a day on a year, then kept
    visitors = lf.expected_visitors_of(history, calendar, index)
    predicted = lf.predict(models, lf.features(index, fc_weather, calendar, visitors, site), history)
    out = predicted.copy()
    out["load_kw"], out["pv_kw"] = predicted.sum(axis=1), pv.sum(axis=1).fillna(0.0)
    return out, fitted_at


def _day_index(site: Site, day: date) -> pd.DatetimeIndex:
    start = pd.Timestamp(day).tz_localize(site.info.timezone)
    return pd.date_range(start, start + pd.Timedelta(days=1), freq="15min", inclusive="left")


def _recent(store: Store, site: Site, config: PlanningConfig, day: date) -> tuple[pd.DataFrame, float]:
    """The last ``recent_days`` before ``day`` and the days of sub-meter history in them; too few raise."""
    start = _day_index(site, day)[0]
    history = history_frame(store, site, start - pd.Timedelta(days=config.forecast.recent_days), start)
    known = history[[c for c in history.columns if c.startswith("load_kw/")]].notna().any(axis=1)
    if known.sum() < MIN_HISTORY_DAYS * 96:
        raise TooLittleHistory(f"plan for {day}: the store has {known.sum() / 96:.1f} days of sub-meter history in "
                               f"the last {config.forecast.recent_days} days; at least {MIN_HISTORY_DAYS} are needed",
                               float(known.sum() / 96), MIN_HISTORY_DAYS)
    return history, float(known.sum() / 96)


def fit_ahead(store: Store, site: Site, calendar: WorkCalendar, config: PlanningConfig, day: date) -> str:
    """Fit (or find kept) the load models that plan ``day``, before anyone asks for the plan; returns when they
    were fitted. The scheduled service runs it after midnight for tomorrow and at start-up; the models are
    kept by :data:`planning.model_cache.SHARED` (in the data dir when the wiring said so)."""
    history, _ = _recent(store, site, config, day)
    return lf.day_models(site, calendar, history, _day_index(site, day), None,
                         lambda first, end: history_frame(store, site, first, end),
                         config.forecast.history_days)[1]


def _bill(grid_kw: np.ndarray, price: np.ndarray, factor: np.ndarray, rate: float, month_peak: float) -> dict:
    imports = np.maximum(grid_kw, 0.0) * STEP_H
    peak = float(max(grid_kw.max(), 0.0))
    return {"energy_yuan": float((imports * price).sum()), "demand_increase_yuan": rate * max(peak - month_peak, 0.0),
            "tco2e": float((imports * factor).sum()) / 1000.0, "peak_kw": peak}


def plan_tomorrow(store: Store, site: Site, tariffs: TariffTable, calendar: WorkCalendar, config: PlanningConfig,
                  factor_of: FactorOf, day: date, weather: WeatherForecast | pd.DataFrame | None = None,
                  ev_sessions: pd.DataFrame | None = None) -> dict[str, Any]:
    """The plan of ``day`` and its expected saving against idle storage, as a JSON-ready record.

    ``weather``: tomorrow's forecast (a kept :class:`WeatherForecast`, or a bare ``ghi_wm2``/``temp_c`` frame
    from a file), or None for clear sky × recent clearness.
    ``ev_sessions`` (``planning.ev`` columns; bookings known the evening before): the EV fleet's charging is
    planned too, its sessions' unmanaged power taken out of the load forecast; ``setpoints['ev_kw']`` is set."""
    index = _day_index(site, day)
    start = index[0]
    history, history_days = _recent(store, site, config, day)
    frame = _frame_of(weather, site.info.timezone)
    fc, fitted_at = forecast_day(site, calendar, config, history, index, frame,
                                 lambda first, end: history_frame(store, site, first, end))  # if not fitted ahead
    month_start = start.replace(day=1)
    month_peak = float(np.nan_to_num(history.loc[history.index >= month_start, "grid_kw"].max()))
    priced = tariffs.prices(index)
    rate = tariffs.demand_rate(month_start.date())
    factor = factor_of(index).to_numpy()
    batteries = [Battery(u.device, u.power_kw, u.capacity_kwh, start_soc=config.storage.start_soc,
                         end_soc=config.storage.end_soc) for u in site.energy_systems.storage]
    prices = Prices(priced["price_yuan_per_kwh"].to_numpy(), factor, config.carbon.price_yuan_per_tco2e, rate,
                    month_peak, config.storage.throughput_yuan_per_kwh)
    net = (fc["load_kw"] - fc["pv_kw"]).to_numpy()
    ev = envelope(ev_sessions, index) if ev_sessions is not None else None
    flexible = unmanaged_kw(ev_sessions, index) if ev_sessions is not None else 0.0  # in the load forecast
    plan = plan_storage(index, net - flexible, batteries, prices, config.storage.grid_charging, ev=ev)
    record = _record(day, index, fc, priced, plan, net, factor, rate, month_peak, history_days)
    source = pv_forecast_source(weather)
    return {**record, "pv_source": source["source"], "pv_forecast": source, "load_models_fitted_at": fitted_at}


def _record(day, index, fc, priced, plan, net, factor, rate, month_peak, history_days) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    storage = plan.frame[[c for c in plan.frame.columns if c.startswith("storage_kw/")]].sum(axis=1)
    soc = plan.frame[[c for c in plan.frame.columns if c.startswith("soc/")]].mean(axis=1)
    price = priced["price_yuan_per_kwh"].to_numpy()
    with_plan = _bill(plan.frame["grid_kw"].to_numpy(), price, factor, rate, month_peak)
    idle = _bill(net, price, factor, rate, month_peak)
    quarters = [{"time": t.isoformat(), "load_kw": round(float(fc["load_kw"].iloc[i]), 1),
                 "pv_kw": round(float(fc["pv_kw"].iloc[i]), 1), "storage_kw": round(float(storage.iloc[i]), 1),
                 "grid_kw": round(float(plan.frame["grid_kw"].iloc[i]), 1), "soc": round(float(soc.iloc[i]), 3),
                 "price_yuan_per_kwh": round(float(price[i]), 4), "period": priced["period"].iloc[i]}
                for i, t in enumerate(index)]
    total = {k: v["energy_yuan"] + v["demand_increase_yuan"] for k, v in (("plan", with_plan), ("idle", idle))}
    return {"day": str(day), "advice_only": True, "history_days": round(float(history_days), 1),
            "month_peak_kw_so_far": round(month_peak, 1), "quarters": quarters,
            "expected": {"plan_yuan": round(total["plan"], 2), "idle_yuan": round(total["idle"], 2),
                         "saved_yuan": round(total["idle"] - total["plan"], 2),
                         "saved_tco2e": round(idle["tco2e"] - with_plan["tco2e"], 4),
                         "peak_kw_plan": round(with_plan["peak_kw"], 1), "peak_kw_idle": round(idle["peak_kw"], 1)},
            "solver": plan.status, "ev_planned": "ev_kw" in plan.frame.columns,
            "setpoints": {c: [round(float(v), 3) for v in plan.frame[c]] for c in plan.frame.columns
                          if c.startswith("storage_kw/") or c in ("ev_kw", "grid_limit_kw")}}
