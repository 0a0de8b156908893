"""A day's plan on disk: the setpoints ``zerocarbon plan`` (and the console's Plan page) advise, as a file the
simulated site reads. The plan is advice: it reaches a (simulated) device only as this record, never as a write
to a device, so the collectors stay read-only.

One JSON file per local day, ``<data_dir>/plans/<YYYY-MM-DD>.json``, written whole (temporary file + rename, so
a reader never sees half a plan)::

    {"kind": "zerocarbon.plan", "version": 1, "day": "2026-12-05", "timezone": "Asia/Shanghai",
     "start": "2026-12-05T00:00:00+08:00", "interval_min": 15, "advice_only": true,
     "setpoints": {"storage_kw/storage-1": [96 numbers, kW, + discharge / - charge],
                   "ev_kw": [96 numbers, kW, the EV fleet's charging power]  (optional),
                   "grid_limit_kw": [96 numbers, kW, the demand limit the plan keeps]  (optional)},
     ...the plan record (forecast, expected saving) for people}

:func:`read_plan` gives the setpoints as a frame on the plan's quarter hours, or raises :class:`PlanFileError`
naming the file and the key; a reader that must keep running (the simulator) falls back to its own rules.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from models.errors import PlanFileError

KIND = "zerocarbon.plan"
VERSION = 1
PLANS_DIR = "plans"
__all__ = ["PLANS_DIR", "PlanFileError", "plan_path", "read_plan", "write_plan"]


def plan_path(folder: Path, day: date) -> Path:
    return Path(folder) / f"{day.isoformat()}.json"


def write_plan(folder: Path, record: dict[str, Any], timezone: str, setpoints: dict[str, list[float]]) -> Path:
    """Write ``record`` with its ``setpoints`` (one value per quarter hour of ``record['day']``) as that day's plan."""
    day = date.fromisoformat(str(record["day"]))
    start = pd.Timestamp(day).tz_localize(timezone)
    body = {**record, "kind": KIND, "version": VERSION, "day": day.isoformat(), "timezone": timezone,
            "start": start.isoformat(), "interval_min": 15, "advice_only": True,
            "setpoints": {k: [round(float(v), 3) for v in values] for k, values in setpoints.items()}}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = plan_path(folder, day)
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_plan(folder: Path, day: date) -> pd.DataFrame | None:
    """The setpoints of ``day``'s plan (columns as in the file, index the plan's quarter hours, tz-aware), or None
    when there is no plan for that day. A file that is there but cannot be followed raises PlanFileError."""
    path = plan_path(folder, day)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot be read ({exc})") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}:{exc.lineno}: not JSON ({exc.msg}); write it again with `zerocarbon plan`") \
            from None
    return _setpoints(path, body, day)


def _setpoints(path: Path, body: Any, day: date) -> pd.DataFrame:
    def bad(key: str, why: str) -> PlanFileError:
        return PlanFileError(f"{path}: {key}: {why}; write it again with `zerocarbon plan --day {day}`")

    if not isinstance(body, dict) or body.get("kind") != KIND:
        raise bad("kind", f"is not {KIND!r}")
    if body.get("version") != VERSION:
        raise bad("version", f"{body.get('version')!r} is not {VERSION}")
    if body.get("day") != day.isoformat():
        raise bad("day", f"{body.get('day')!r} is not the file's day {day}")
    if body.get("interval_min") != 15:
        raise bad("interval_min", "only 15-minute plans are followed")
    try:
        start = pd.Timestamp(body["start"]).tz_convert(body["timezone"])
    except (KeyError, ValueError, TypeError) as exc:
        raise bad("start/timezone", f"not a zoned ISO time and zone ({exc})") from None
    setpoints = body.get("setpoints")
    if not isinstance(setpoints, dict) or not setpoints:
        raise bad("setpoints", "missing or empty")
    index = pd.date_range(start, start + pd.Timedelta(days=1), freq="15min", inclusive="left")
    columns: dict[str, list[float]] = {}
    for name, values in setpoints.items():
        if not isinstance(values, list) or len(values) != len(index):
            raise bad(f"setpoints.{name}", f"needs {len(index)} values, one per quarter hour")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            raise bad(f"setpoints.{name}", "every value must be a finite number (kW)")
        columns[name] = [float(v) for v in values]
    return pd.DataFrame(columns, index=index)
