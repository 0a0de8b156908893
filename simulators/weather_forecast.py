"""A simulated day-ahead weather service: what a forecast issued the day before would have said.

The simulated truth comes from :mod:`simulators.weather`; the forecast keeps its slow part and misses the rest,
with errors typical of a numerical weather forecast one day ahead (assumed, not measured here):

* irradiance: the day's clearness (Σ GHI / Σ clear-sky GHI) with an error of σ = 0.12, and no passing clouds;
* air temperature: the hourly mean with a day-level bias of σ = 1.2 °C.

Reproducible per (seed, day), like every simulated quantity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.site import Site
from simulators import solar
from simulators.weather import day_draws, local_days_and_minutes

CLEARNESS_ERROR = 0.12
TEMPERATURE_BIAS_C = 1.2


def _normal(seed: int, stream: str, days: np.ndarray) -> np.ndarray:
    u = day_draws(seed, stream, days, size=2)  # Box-Muller from two uniform draws per day
    return np.sqrt(-2.0 * np.log1p(-u[:, 0] * 0.999999)) * np.cos(2 * np.pi * u[:, 1])


def issued_forecast(site: Site, truth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``ghi_wm2`` and ``temp_c`` as forecast the day before, for the instants of ``truth`` (a ``site_frame``)."""
    index = pd.DatetimeIndex(truth.index)
    day, _, _ = local_days_and_minutes(index, site.info.timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    clear = solar.sun_and_sky(site, index)["ghi_clear"].to_numpy()
    ghi = truth["ghi_wm2"].to_numpy()
    clear_sum = np.bincount(position, weights=clear)
    clearness = np.bincount(position, weights=ghi) / np.where(clear_sum > 0, clear_sum, 1.0)
    guess = np.clip(clearness + CLEARNESS_ERROR * _normal(seed, "forecast-clearness", unique_days), 0.05, 1.0)
    hourly = truth["outdoor_temp_c"].groupby(index.floor("h")).transform("mean").to_numpy()
    bias = TEMPERATURE_BIAS_C * _normal(seed, "forecast-temp", unique_days)
    return pd.DataFrame({"ghi_wm2": clear * guess[position], "temp_c": hourly + bias[position]}, index=index)
