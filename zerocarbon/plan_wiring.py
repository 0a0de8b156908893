"""Wiring for tomorrow's plan: the planning frame (15-minute kW per inverter and subsystem, weather forecast,
visitors) built from the simulator for backtests, and the files the plan reads (tariffs, calendar).

``planning/`` holds the pure functions; this module only fetches their inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.site import Site
from planning.calendar import WorkCalendar, load_calendar
from planning.tariffs import TariffTable, load_tariffs

STEP = "15min"


@dataclass(frozen=True)
class PlanFiles:
    tariffs: TariffTable
    calendar: WorkCalendar


def load_plan_files(site_file: str | Path, tariffs: Path | None = None, calendar: Path | None = None) -> PlanFiles:
    folder = Path(site_file).parent
    return PlanFiles(load_tariffs(tariffs or folder / "tariffs.yaml"),
                     load_calendar(calendar or folder / "calendar.yaml"))


def local_index(site: Site, first_day: str, days: int) -> pd.DatetimeIndex:
    start = pd.Timestamp(first_day).tz_localize(site.info.timezone)
    return pd.date_range(start, start + pd.Timedelta(days=days), freq=STEP, inclusive="left")


def simulated_truth(site: Site, index: pd.DatetimeIndex, seed: int = 0,
                    plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """The simulator's site frame on ``index``, computed a week at a time: the simulator's EV fleet builds a
    sessions × instants matrix (131 GiB for two years at once), and its days are independent by design."""
    from simulators.physics import site_frame

    days = index.tz_localize(None).normalize()
    weeks = (days - days[0]).days // 7
    return pd.concat([site_frame(site, index[weeks == w], seed, plan=plan) for w in np.unique(weeks)])


def planning_frame(site: Site, truth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The simulator's truth as the planning functions take it: measured kW per inverter and subsystem, the
    weather forecast issued the day before, and each day's tickets."""
    from simulators.weather_forecast import issued_forecast

    cols: dict[str, np.ndarray] = {}
    for c in truth.columns:
        if c.startswith("pv_ac_kw/"):
            cols["pv_kw/" + c.split("/", 1)[1]] = truth[c].to_numpy()
    for device in site.devices:
        key = f"load_kw/{device.id}"
        if key in truth.columns:
            name = f"load_kw/{device.subsystem}"
            cols[name] = cols.get(name, 0.0) + truth[key].to_numpy()
    frame = pd.DataFrame(cols, index=truth.index)
    weather = issued_forecast(site, truth, seed)
    frame["ghi_wm2"], frame["temp_c"] = weather["ghi_wm2"], weather["temp_c"]
    days = truth.index.tz_localize(None).normalize()
    frame["visitors"] = truth["tickets_today"].groupby(days).transform("max").to_numpy()
    return frame


def read_weather_csv(path: Path, timezone: str) -> pd.DataFrame:
    """A weather forecast file: ``time`` (ISO 8601; no zone = the site's), ``ghi_wm2``, ``temp_c``; one error
    naming the file, line and column for a bad row."""
    from models.errors import InputError

    try:
        raw = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None
    missing = {"time", "ghi_wm2", "temp_c"} - set(raw.columns)
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(sorted(missing))}; the header is time,ghi_wm2,temp_c")
    out = {}
    for column in ("ghi_wm2", "temp_c"):
        values = pd.to_numeric(raw[column], errors="coerce")
        if values.isna().any():
            line = int(values.isna().to_numpy().argmax()) + 2
            raise InputError(f"{path}:{line}: {column} {raw[column].iloc[line - 2]!r} is not a number")
        out[column] = values.to_numpy()
    try:
        times = pd.DatetimeIndex([pd.Timestamp(t) for t in raw["time"]])
    except ValueError as exc:
        raise InputError(f"{path}: a time is not ISO 8601 ({exc})") from None
    times = times.tz_localize(timezone) if times.tz is None else times.tz_convert(timezone)
    return pd.DataFrame(out, index=times).sort_index()
