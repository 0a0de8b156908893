"""Backtest of the day-ahead forecasts over past days: nMAE and skill against two naive forecasts.

For each test day D the forecasts use only what was known before D: PV calibrations and clearness from the days
before D, load models trained on the days before the latest retraining (every ``retrain_days``), and the weather
forecast archived for D. The naive references are *persistence* (D − 1, same quarter hour) and *the same day last
week* (D − 7).

    nMAE  = Σ |f − a| / Σ a                  (over every quarter hour of the test days)
    skill = 1 − MAE_forecast / MAE_reference  (> 0: better than the reference; 1: perfect)

Input ``frame`` (tz-aware local 15-minute index): ``pv_kw/<inverter>`` and ``load_kw/<subsystem>`` measured kW,
``ghi_wm2`` and ``temp_c`` as forecast the day before, ``visitors`` the day's tickets (same on every row of a day).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.site import Site
from planning import load_forecast as lf
from planning.calendar import WorkCalendar
from planning.pv_forecast import Inverter, clear_sky_kw, daily_ratio, modelled_kw

QUARTERS = 96


def nmae(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.abs(forecast - actual).sum() / np.abs(actual).sum())


def scores(forecast: np.ndarray, actual: np.ndarray, persistence: np.ndarray, week: np.ndarray) -> dict[str, float]:
    mae = np.abs(forecast - actual).mean()
    return {"nmae": round(nmae(forecast, actual), 4),
            "skill_vs_persistence": round(1 - mae / np.abs(persistence - actual).mean(), 4),
            "skill_vs_same_day_last_week": round(1 - mae / np.abs(week - actual).mean(), 4)}


def _known_the_day_before(ratios: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Each instant's ratio as known on the eve of its day (ratios per day, moved one day on)."""
    day = index.tz_localize(None).normalize()
    return ratios.set_axis(ratios.index + pd.Timedelta(days=1)).reindex(day).fillna(1.0).set_axis(index)


def pv_forecasts(site: Site, inverters: list[Inverter], frame: pd.DataFrame, calibration_days: int = 14,
                 clearness_days: float = 7) -> dict[str, pd.DataFrame]:
    """Both day-ahead PV forecasts for every instant of ``frame``, as the plan would have made them."""
    ids = [i.id for i in inverters]
    measured = frame[[f"pv_kw/{i}" for i in ids]].set_axis(ids, axis=1)
    with_weather = modelled_kw(site, inverters, frame.index, frame["ghi_wm2"].to_numpy(), frame["temp_c"].to_numpy())
    clear = clear_sky_kw(site, inverters, frame.index)
    calibration = daily_ratio(measured, with_weather, calibration_days, weighted=False)
    clearness = daily_ratio(measured, clear, clearness_days, weighted=True)
    return {"measured": measured,
            "weather_forecast": with_weather * _known_the_day_before(calibration, frame.index),
            "clear_sky_x_clearness": clear * _known_the_day_before(clearness, frame.index)}


def load_forecast(site: Site, frame: pd.DataFrame, calendar: WorkCalendar, test_days: pd.DatetimeIndex,
                  retrain_days: int = 7, window_days: int | None = None,
                  max_iter: int = lf.TREE_PARAMS["max_iter"]) -> pd.DataFrame:
    """Day-ahead kW per subsystem for the test days. The models are refitted every ``retrain_days`` test days on
    the ``window_days`` before the eve of the block's first day (all earlier days when None), the rule of
    :func:`planning.load_forecast.forecast_loads`; between refits a block's later days reuse the fit."""
    loads = frame[[c for c in frame.columns if c.startswith("load_kw/")]]
    days = frame.index.tz_localize(None).normalize()
    tickets = frame["visitors"].groupby(days).first()
    visitors = lf.expected_visitors(tickets, calendar, pd.DatetimeIndex(tickets.index))
    x = lf.features(frame.index, frame, calendar, visitors, site)
    parts = []
    for block_start in test_days[::retrain_days]:
        block = test_days[(test_days >= block_start) & (test_days < block_start + pd.Timedelta(days=retrain_days))]
        eve = block_start - pd.Timedelta(days=1)
        train = (days < eve) & ((days >= eve - pd.Timedelta(days=window_days)) if window_days else True)
        models = lf.fit(x.loc[train], loads.loc[train], max_iter=max_iter)
        parts.append(lf.predict(models, x.loc[days.isin(block)], loads))  # lags: D-2, measured by D's eve
    return pd.concat(parts)


def _skill_table(predicted: pd.DataFrame, actual: pd.DataFrame, test: np.ndarray) -> dict[str, dict[str, float]]:
    """Scores of each column and of the columns' sum, against persistence and the same day last week."""
    def one(f: pd.Series, a: pd.Series) -> dict[str, float]:
        return scores(f[test].to_numpy(), a[test].to_numpy(), a.shift(QUARTERS)[test].to_numpy(),
                      a.shift(7 * QUARTERS)[test].to_numpy())

    out = {"total": one(predicted.sum(axis=1), actual.sum(axis=1))}
    out.update({c.split("/", 1)[-1]: one(predicted[c], actual[c]) for c in actual.columns})
    return out


def backtest(site: Site, inverters: list[Inverter], calendar: WorkCalendar, frame: pd.DataFrame,
             test_days: pd.DatetimeIndex, retrain_days: int = 91, window_days: int | None = 364,
             clearness_days: float = 7) -> dict[str, Any]:
    """nMAE and skills of the PV and load forecasts over ``test_days`` (naive local midnights); the load models
    refitted every ``retrain_days`` on the ``window_days`` before (the plan refits daily: the output says so)."""
    test = frame.index.tz_localize(None).normalize().isin(test_days)
    pv = pv_forecasts(site, inverters, frame, clearness_days=clearness_days)
    pv_out = {name: _skill_table(pv[name], pv["measured"], test)["total"]
              for name in ("weather_forecast", "clear_sky_x_clearness")}
    loads = frame[[c for c in frame.columns if c.startswith("load_kw/")]]
    predicted = load_forecast(site, frame, calendar, test_days, retrain_days, window_days).reindex(frame.index)
    table = _skill_table(predicted, loads, test)
    return {"test_days": len(test_days), "first_day": str(test_days[0].date()), "last_day": str(test_days[-1].date()),
            "interval": "15min", "pv": {"site_total": pv_out},
            "load": {"building_total": table.pop("total"), "by_subsystem": table},
            "load_models": {"refit_every_days": retrain_days, "training_window_days": window_days or "all earlier",
                            "trees": lf.TREE_PARAMS,
                            "note": f"the plan refits daily; this backtest every {retrain_days} days"},
            "clearness_halflife_days": clearness_days}
