"""Day-ahead building load per subsystem at 15 minutes: one scikit-learn HistGradientBoostingRegressor per
subsystem, on features known the day before.

Features of an instant (all available when tomorrow's plan is made):

* ``quarter`` of the local day (0-95) and ``dow`` (0 = Monday);
* ``day_type``: working day, Saturday or rest day, from the weekday and the State Council's holiday notice
  (public holidays are rest days, make-up Saturdays/Sundays are working days) — ``planning.calendar``;
* ``temp_c`` and ``ghi_wm2``: the weather forecast for the instant (cooling follows temperature, lighting
  follows daylight);
* ``visitors``: expected tickets, the mean of the same day type's last four days (the queue system's count);
* ``sun_elevation_deg`` at the middle of the quarter hour (pvlib's solar position): street lights switch at dusk,
  which moves by 1 h 20 min over Zhuhai's year, so the clock alone mistimes them;
* per subsystem, its own load at the same instant 2 days before (``LAG_DAYS``): the latest whole day measured
  when the plan is made on the eve. It carries what the other features miss (recent dusk switching, the
  season's cooling level). Lags of 2, 7 and 2 + 7 days were compared on a validation year (2025, trained on
  2024) and scored on the test year 2026; the 7-day lag brought last week's noise into the occupancy-only
  sub-meters (docs/methodology.md §11).

Gradient-boosted trees need no scaling and model the interactions (cooling × opening hours) without a formula;
HistGradientBoosting bins features, so a year of 15-minute rows fits in well under a second per subsystem.
The plan fits its models once a day and keeps them (:mod:`planning.model_cache`); a plan on demand reads only the
last weeks and predicts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pvlib
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from models.site import Site
from planning.calendar import WorkCalendar
from planning.model_cache import SHARED, ModelCache, Models, window_key

FEATURES = ("quarter", "dow", "day_type", "temp_c", "ghi_wm2", "visitors", "sun_elevation_deg")
CATEGORICAL = [True, True, True, False, False, False, False]
LAG_DAYS = (2,)  # the subsystem's own load this many days before (D-1, the eve, is still being measured)
TREE_PARAMS = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "max_bins": 127}


def sun_elevation_deg(site: Site, index: pd.DatetimeIndex) -> np.ndarray:
    """Apparent solar elevation at the middle of each quarter hour of ``index`` (NREL SPA, numpy)."""
    info = site.info
    middle = index + pd.Timedelta(minutes=7.5)
    position = pvlib.solarposition.get_solarposition(middle, info.latitude, info.longitude, info.altitude_m)
    return position["apparent_elevation"].to_numpy()


def features(index: pd.DatetimeIndex, weather: pd.DataFrame, calendar: WorkCalendar,
             expected_visitors: pd.Series, site: Site) -> pd.DataFrame:
    """The feature rows of ``index`` (tz-aware local). ``weather``: ``temp_c``, ``ghi_wm2`` forecasts on
    ``index``; ``expected_visitors``: per local day (naive midnight), the expected tickets."""
    days = index.tz_localize(None).normalize()
    return pd.DataFrame(
        {
            "quarter": (index.hour * 4 + index.minute // 15).to_numpy(),
            "dow": index.day_of_week.to_numpy(),
            "day_type": calendar.day_types(days),
            "temp_c": weather["temp_c"].to_numpy(),
            "ghi_wm2": weather["ghi_wm2"].to_numpy(),
            "visitors": expected_visitors.reindex(days).to_numpy(),
            "sun_elevation_deg": sun_elevation_deg(site, index),
        },
        index=index,
    )


def expected_visitors(daily_tickets: pd.Series, calendar: WorkCalendar, days: pd.DatetimeIndex) -> pd.Series:
    """Expected tickets of each day in ``days``: the mean of the four latest earlier days of the same day type
    (NaN without history; the trees handle missing values)."""
    history = daily_tickets.dropna().sort_index()
    kinds, wanted = calendar.day_types(pd.DatetimeIndex(history.index)), calendar.day_types(days)
    out = np.full(len(days), np.nan)
    for kind in np.unique(wanted):
        same = history[kinds == kind]
        latest_four = same.rolling(4, min_periods=1).mean().to_numpy()  # up to and including each day
        rows = wanted == kind
        before = pd.DatetimeIndex(same.index).searchsorted(days[rows], side="left") - 1  # latest strictly earlier
        out[rows] = np.where(before >= 0, latest_four[np.maximum(before, 0)], np.nan) if len(same) else np.nan
    return pd.Series(out, index=days, dtype=float)


def lagged(loads: pd.Series, index: pd.DatetimeIndex) -> np.ndarray:
    """Rows of ``LAG_DAYS`` lags of one subsystem's load at ``index``: the value at the same instant N days
    before, taken from ``loads`` (NaN where it holds none: the trees treat it as missing)."""
    columns = [loads.reindex(index - pd.Timedelta(days=n)).to_numpy(dtype=float) for n in LAG_DAYS]
    return np.column_stack(columns) if columns else np.empty((len(index), 0))


def fit(x: pd.DataFrame, loads: pd.DataFrame, max_iter: int = TREE_PARAMS["max_iter"], seed: int = 0) -> Models:
    """One model per load column (subsystem), on the shared features and the column's own lags (from
    ``loads``: the training window's first ``LAG_DAYS`` have none). Rows with a missing target are left out.

    One OpenMP thread: on the shared 2-core host, under a load average of 11, one fit of a year of quarter hours
    took 66 s with the default threads (spinning workers starve each other) and 1.8 s with one."""
    with threadpool_limits(limits=1):
        return _fit(x, loads, int(max_iter), seed)


def _fit(x: pd.DataFrame, loads: pd.DataFrame, max_iter: int, seed: int) -> Models:
    models: Models = {}
    shared = x[list(FEATURES)].to_numpy()
    for column in loads.columns:
        y = loads[column].to_numpy()
        keep = np.isfinite(y)
        rows = np.hstack([shared, lagged(loads[column], x.index)])
        rows_kept = _known_or_constant(rows[keep])
        # 15 leaves and 127 bins: 1.65x faster than the defaults (31, 255) for the same nMAE (0.0449 vs 0.0454,
        # 17 subsystems, 61 days of training, 14 days of test, measured 2026-12-04)
        params = {**TREE_PARAMS, "max_iter": max_iter}
        model = HistGradientBoostingRegressor(**params, categorical_features=CATEGORICAL + [False] * len(LAG_DAYS),
                                              random_state=seed)
        models[column] = model.fit(rows_kept, y[keep])
    return models


def _known_or_constant(rows: np.ndarray) -> np.ndarray:
    """A feature with no value at all in the training rows (a short history: the visitors expected from days
    before the first, or the lags of two days of history) as a constant 0: it carries no information either way,
    and scikit-learn's binning fails on an all-NaN column ("window shape cannot be larger than input array
    shape")."""
    empty = np.isnan(rows).all(axis=0)
    if not empty.any():
        return rows
    rows = rows.copy()
    rows[:, empty] = 0.0
    return rows


def predict(models: Models, x: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """kW per subsystem (columns) at ``x``'s instants; never below zero. ``history``: the measured
    ``load_kw/*`` columns the lags are taken from (the days before the eve)."""
    shared = x[list(FEATURES)].to_numpy()
    out = {}
    with threadpool_limits(limits=1):
        for column, model in models.items():
            lags = lagged(history[column] if column in history else pd.Series(dtype=float), x.index)
            out[column] = np.maximum(model.predict(np.hstack([shared, lags])), 0.0)  # type: ignore[attr-defined]
    return pd.DataFrame(out, index=x.index)


Reader = Callable[[pd.Timestamp, pd.Timestamp], pd.DataFrame]


def forecast_loads(site: Site, calendar: WorkCalendar, recent: pd.DataFrame, index: pd.DatetimeIndex,
                   weather: pd.DataFrame, cache: ModelCache | None = None, read_training: Reader | None = None,
                   training_days: int = 364) -> pd.DataFrame:
    """kW per subsystem (``load_kw/<subsystem>`` columns) for ``index`` (the planned day).

    ``recent``: the planning frame of the last weeks (``load_kw/*``, ``temp_c``, ``ghi_wm2``, ``visitors``);
    ``weather``: ``temp_c`` and ``ghi_wm2`` on ``index``. The models come from :func:`day_models`."""
    models, _ = day_models(site, calendar, recent, index, cache, read_training, training_days)
    return predict(models, features(index, weather, calendar, _visitors(recent, calendar, index), site), recent)


def day_models(site: Site, calendar: WorkCalendar, recent: pd.DataFrame, index: pd.DatetimeIndex,
               cache: ModelCache | None = None, read_training: Reader | None = None,
               training_days: int = 364) -> tuple[Models, str]:
    """The models that forecast ``index`` (the planned day) and when they were fitted (ISO 8601, UTC).

    They are fitted on the ``training_days`` before the *eve* of the planned day (the eve is still being
    measured when the plan is made), read by ``read_training(first, end)`` (default: taken from ``recent``) only
    when ``cache`` (default: this process's :data:`planning.model_cache.SHARED`) has no fit for that window yet:
    once a day, by the scheduled service ahead of the first plan (:func:`planning.tomorrow.fit_ahead`)."""
    columns = sorted(c for c in recent.columns if c.startswith("load_kw/") and recent[c].notna().any())
    end = index[0] - pd.Timedelta(days=1)
    first = end - pd.Timedelta(days=training_days)
    config = {"params": TREE_PARAMS, "features": FEATURES, "lag_days": LAG_DAYS, "columns": columns,
              "site": hashlib.sha256(site.model_dump_json().encode()).hexdigest(),
              "calendar": hashlib.sha256(calendar.model_dump_json().encode()).hexdigest()}

    def fit_window() -> Models:
        frame = read_training(first, end) if read_training is not None else recent
        rows = frame.loc[(frame.index >= first) & (frame.index < end)]
        x, loads = training_rows(site, calendar, rows, columns)
        return fit(x, loads.dropna(axis=1, how="all"))  # a sub-meter with no training rows waits for them

    return (cache or SHARED).models_and_time(window_key(first, end, config), fit_window)


def training_rows(site: Site, calendar: WorkCalendar, frame: pd.DataFrame,
                  columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features and measured loads of a planning frame's instants (missing GHI read as night: 0)."""
    visitors = _visitors(frame, calendar, pd.DatetimeIndex([]))
    x = features(frame.index, frame.assign(ghi_wm2=frame["ghi_wm2"].fillna(0.0)), calendar, visitors, site)
    return x, frame.reindex(columns=columns)


def expected_visitors_of(frame: pd.DataFrame, calendar: WorkCalendar, index: pd.DatetimeIndex) -> pd.Series:
    """Expected tickets of a planning frame's days and of ``index``'s first day (the planned day)."""
    return _visitors(frame, calendar, index)


def _visitors(frame: pd.DataFrame, calendar: WorkCalendar, index: pd.DatetimeIndex) -> pd.Series:
    """Expected tickets of the frame's days and of ``index``'s first day."""
    days = frame.index.tz_localize(None).normalize()
    tickets = frame["visitors"].groupby(days).max()
    wanted = pd.DatetimeIndex(tickets.index)
    if len(index):
        wanted = wanted.append(pd.DatetimeIndex([index[0].tz_localize(None).normalize()]))
    return expected_visitors(tickets, calendar, wanted)
