"""Building demand: opening hours, visitors and the sub-meter loads they drive.

The service centre is busy on weekdays 9:00-17:00 (halls open, staff in from 8:00), light on Saturdays and
nearly empty on Sundays. Visitor tickets scale from the opening day's 4385. Cooling follows outdoor temperature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulators.weather import day_draws, local_days_and_minutes, minute_noise

OPENING_DAY_TICKETS = 4385
WEEKDAY_SHARE = {5: 0.3, 6: 0.05}  # Saturday, Sunday: share of a weekday's activity
COOLING_START_C, COOLING_FULL_C = 18.0, 33.0


def _ramp(hours: np.ndarray, start: float, end: float) -> np.ndarray:
    return np.clip((hours - start) / (end - start), 0.0, 1.0)


def occupancy(index: pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Building activity 0-1: staff from 8:00, halls open 9:00-17:00, lunch dip, empty after 18:30."""
    _, minute, local = local_days_and_minutes(index, timezone)
    hours = minute / 60.0
    day_shape = _ramp(hours, 7.5, 9.0) - _ramp(hours, 17.0, 18.5) * 0.95
    lunch = 1.0 - 0.15 * np.exp(-(((hours - 12.5) / 0.6) ** 2))
    weekday = local.day_of_week.to_numpy()
    share = np.ones(len(index))
    for dow, value in WEEKDAY_SHARE.items():
        share[weekday == dow] = value
    return np.clip(0.05 + 0.95 * day_shape * lunch * share, 0.0, 1.0)


def _arrival_shape(hours: np.ndarray) -> np.ndarray:
    """Ticket arrivals per minute, unnormalised: morning peak at 10:00, afternoon peak at 14:30, halls 9-17."""
    open_ = (hours >= 9.0) & (hours < 17.0)
    return open_ * (np.exp(-(((hours - 10.0) / 1.2) ** 2)) + 0.8 * np.exp(-(((hours - 14.5) / 1.3) ** 2)) + 0.15)


def visitors(index: pd.DatetimeIndex, timezone: str, seed: int) -> pd.DataFrame:
    """Tickets issued today (cumulative, resets at midnight), visitors waiting and present in the building."""
    day, minute, local = local_days_and_minutes(index, timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    weekday = local.day_of_week.to_numpy()
    share = np.ones(len(index))
    for dow, value in WEEKDAY_SHARE.items():
        share[weekday == dow] = value if dow == 5 else 0.0
    daily_tickets = OPENING_DAY_TICKETS * (0.65 + 0.4 * day_draws(seed, "tickets", unique_days)[:, 0])[position] * share
    grid_hours = np.arange(1440) / 60.0
    shape = _arrival_shape(grid_hours)
    cumulative_share = np.cumsum(shape) / shape.sum()  # share of the day's tickets issued by each minute
    rate_per_min = daily_tickets * shape[minute] / shape.sum()
    jitter = 1.0 + 0.1 * minute_noise(seed, "queue", index, timezone, 0.95)
    return pd.DataFrame(
        {
            "tickets_today": np.floor(daily_tickets * cumulative_share[minute]),
            "waiting": np.round(np.maximum(rate_per_min * 18.0 * jitter, 0.0)),  # ~18 min wait
            "present": np.round(np.maximum(rate_per_min * 50.0 * jitter, 0.0)),  # ~50 min in the building
        },
        index=index,
    )


def cooling_demand(outdoor_temp_c: np.ndarray) -> np.ndarray:
    """0-1 share of design cooling load from outdoor temperature (Zhuhai: hot-summer warm-winter zone)."""
    return np.clip((outdoor_temp_c - COOLING_START_C) / (COOLING_FULL_C - COOLING_START_C), 0.0, 1.0)


def subsystem_activity(
    subsystem: str, occ: np.ndarray, cooling: np.ndarray, daylight: np.ndarray, dark: np.ndarray
) -> np.ndarray:
    """0-1 activity of a subsystem's load between its sub-meter's base_kw and peak_kw."""
    if subsystem == "chiller_plant":
        return cooling * (0.35 + 0.65 * occ)
    if subsystem == "air_handling":
        return occ * (0.5 + 0.5 * cooling)
    if subsystem == "lighting":
        return occ * (1.0 - 0.4 * daylight)
    if subsystem == "street_lights":
        return dark
    if subsystem == "data_centre":
        return (0.3 + 0.7 * cooling) * (0.9 + 0.1 * occ)
    if subsystem == "facade_shading":
        return 0.3 * daylight + 0.2 * occ
    if subsystem == "ev_charging":
        return occ**2
    return occ


def submeter_kw(base_kw: float, peak_kw: float, activity: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """A sub-meter's active power, kW: base plus activity share of the span, with a few percent of noise."""
    return np.maximum((base_kw + (peak_kw - base_kw) * activity) * (1.0 + 0.03 * noise), 0.0)
