"""Weather forecasts on disk: one JSON file per issued forecast in ``<data_dir>/weather_forecasts/``, named by
its issue time (UTC, so names sort by issue), written whole (temporary file + rename). The plan takes the
latest issued forecast that spans the planned day; older files are pruned beyond ``keep_files``.

    {"issued": "2026-12-04T10:00:00+00:00", "source": "…", "time": [ISO 8601, …], "ghi_wm2": […], "temp_c": […]}
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd

from models.weather_forecast import WeatherForecast

log = logging.getLogger(__name__)

FORECASTS_DIR = "weather_forecasts"  # under the data dir


class ForecastArchive:
    def __init__(self, directory: Path, keep_files: int = 90) -> None:
        self.directory, self.keep_files = directory, keep_files

    def keep(self, forecast: WeatherForecast) -> Path:
        """Write ``forecast``; a forecast issued at the same instant replaces the earlier copy."""
        self.directory.mkdir(parents=True, exist_ok=True)
        issued = forecast.issued.tz_convert("UTC")
        path = self.directory / f"{issued.strftime('%Y%m%dT%H%M%SZ')}.json"
        frame = forecast.frame
        body = {"issued": issued.isoformat(), "source": forecast.source,
                "time": [t.isoformat() for t in frame.index], "ghi_wm2": frame["ghi_wm2"].tolist(),
                "temp_c": frame["temp_c"].tolist()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        os.replace(tmp, path)
        for old in sorted(self.directory.glob("*.json"))[:-self.keep_files]:
            old.unlink(missing_ok=True)
        return path

    def latest_for(self, start: pd.Timestamp, end: pd.Timestamp) -> WeatherForecast | None:
        """The latest issued forecast spanning [start, end), or None. An unreadable file is logged and passed
        over (the feed only writes checked forecasts; a hand-edited file must not stop the plan)."""
        for path in sorted(self.directory.glob("*.json"), reverse=True):
            try:
                forecast = _read(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("%s: not a weather forecast file (%s); passed over", path, exc)
                continue
            if forecast.covers(start, end):
                return forecast
        return None


def _read(path: Path) -> WeatherForecast:
    body = json.loads(path.read_text())
    index = pd.DatetimeIndex([pd.Timestamp(t) for t in body["time"]])
    frame = pd.DataFrame({"ghi_wm2": body["ghi_wm2"], "temp_c": body["temp_c"]}, index=index, dtype=float)
    return WeatherForecast(pd.Timestamp(body["issued"]), str(body["source"]), frame)
