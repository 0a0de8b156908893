"""A day-ahead weather forecast as the plan takes it: forecast global horizontal irradiance and air temperature
per instant, with when it was issued and by whom. Built by the MQTT feed (``collectors.weather_feed``), kept by
``storage.weather_forecasts``, read by ``zerocarbon plan`` (the ``--weather`` CSV gives the same frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

COLUMNS = ("ghi_wm2", "temp_c")


@dataclass(frozen=True)
class WeatherForecast:
    issued: pd.Timestamp  # tz-aware
    source: str
    frame: pd.DataFrame  # tz-aware index of instants; columns ghi_wm2 (W/m²), temp_c (°C)

    def covers(self, start: pd.Timestamp, end: pd.Timestamp) -> bool:
        """Whether the forecast spans [start, end): its first instant at or before ``start`` and its last one
        within a step of ``end``."""
        index = self.frame.index
        step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
        return bool(len(index)) and index[0] <= start and index[-1] + step >= end
