"""Zhuhai weather as seeded functions of time: outdoor temperature, cloudiness and hub-height wind speed.

Randomness is drawn per local day on a fixed 1-minute grid and then sampled at the requested instants, so a
value depends only on (seed, stream, instant): a 90-day history computed day by day, a week computed at once
and the live site at 'now' all agree.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy.signal import lfilter

MINUTES_PER_DAY = 1440

# Zhuhai monthly mean air temperature, degC (China Meteorological Administration 1991-2020 normals, rounded).
MONTHLY_MEAN_TEMP_C = np.array([15.1, 15.9, 18.7, 22.4, 25.9, 27.9, 28.7, 28.5, 27.5, 25.0, 20.9, 16.8])
# Fraction of clear-sky irradiance reaching the roof on an average day: spring fog and the June rain season
# are the cloudiest months on the Pearl River delta, autumn the clearest.
MONTHLY_CLEARNESS = np.array([0.68, 0.57, 0.52, 0.55, 0.62, 0.60, 0.70, 0.68, 0.71, 0.76, 0.74, 0.72])
DIURNAL_TEMP_AMPLITUDE_C = 3.5
WIND_WEIBULL_SHAPE = 2.0
WIND_WEIBULL_SCALE_MS = 5.0  # at 24 m hub height on the coast


def local_days_and_minutes(index: pd.DatetimeIndex, timezone: str) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Local day ordinal (days since 1970-01-01 local), minute of the local day, and the local index."""
    local = index.tz_convert(timezone)
    naive_ns = local.tz_localize(None).as_unit("ns").asi8
    minute_total = naive_ns // 60_000_000_000
    return minute_total // MINUTES_PER_DAY, minute_total % MINUTES_PER_DAY, local


def _stream_key(stream: str) -> int:
    return zlib.crc32(stream.encode())


def day_draws(seed: int, stream: str, days: np.ndarray, size: int = 1) -> np.ndarray:
    """``size`` standard-uniform draws per day, reproducible per (seed, stream, day)."""
    out = np.empty((len(days), size))
    for i, day in enumerate(days):
        out[i] = np.random.default_rng([seed, _stream_key(stream), int(day) + 100_000]).random(size)
    return out


def minute_noise(seed: int, stream: str, index: pd.DatetimeIndex, timezone: str, phi: float = 0.98) -> np.ndarray:
    """Unit-variance AR(1) noise (one step per minute, coefficient ``phi``) sampled at ``index``."""
    day, minute, _ = local_days_and_minutes(index, timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    grid = np.empty((len(unique_days), MINUTES_PER_DAY))
    gain = np.sqrt(1.0 - phi * phi)
    for i, d in enumerate(unique_days):
        white = np.random.default_rng([seed, _stream_key(stream), int(d) + 100_000, 1]).standard_normal(MINUTES_PER_DAY)
        white[0] /= gain  # start from the stationary distribution
        grid[i] = lfilter([gain], [1.0, -phi], white)
    return grid[position, minute]


def outdoor_temperature_c(index: pd.DatetimeIndex, timezone: str, seed: int) -> np.ndarray:
    """Air temperature: monthly normal, a diurnal cycle peaking at 14:00, a daily anomaly and slow noise."""
    day, minute, local = local_days_and_minutes(index, timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    anomaly = (day_draws(seed, "temp-anomaly", unique_days)[:, 0] - 0.5) * 5.0  # +-2.5 degC day to day
    monthly = MONTHLY_MEAN_TEMP_C[local.month.to_numpy() - 1]
    hours = minute / 60.0
    diurnal = DIURNAL_TEMP_AMPLITUDE_C * np.cos(2 * np.pi * (hours - 14.0) / 24.0)
    return monthly + diurnal + anomaly[position] + 0.6 * minute_noise(seed, "temp", index, timezone, 0.995)


def cloud_factor(index: pd.DatetimeIndex, timezone: str, seed: int) -> np.ndarray:
    """Share of clear-sky irradiance that gets through (0.05-1.05): a daily clearness and passing clouds."""
    day, _, local = local_days_and_minutes(index, timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    mean = MONTHLY_CLEARNESS[local.month.to_numpy() - 1]
    draw = day_draws(seed, "clearness", unique_days)[:, 0][position]
    daily = np.clip(mean + (draw - 0.5) * 0.8, 0.1, 1.0)  # overcast to clear days around the monthly mean
    passing = 0.25 * (1.0 - daily) * 2.0 * minute_noise(seed, "clouds", index, timezone, 0.9)
    return np.clip(daily + passing, 0.05, 1.05)


def hub_wind_speed_ms(index: pd.DatetimeIndex, timezone: str, seed: int) -> np.ndarray:
    """Wind at hub height: a Weibull daily mean, an afternoon sea breeze and gusty minute noise."""
    day, minute, _ = local_days_and_minutes(index, timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    u = day_draws(seed, "wind-day", unique_days)[:, 0]
    daily_mean = WIND_WEIBULL_SCALE_MS * (-np.log1p(-u * 0.999)) ** (1.0 / WIND_WEIBULL_SHAPE)
    sea_breeze = 1.0 + 0.2 * np.sin(2 * np.pi * (minute / 60.0 - 9.0) / 24.0)
    gusts = np.exp(0.25 * minute_noise(seed, "wind", index, timezone, 0.97))
    return np.maximum(daily_mean[position] * sea_breeze * gusts, 0.0)
