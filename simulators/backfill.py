"""History for the whole site: the live physics evaluated over past days, as raw-readings frames for a store.

Vectorised (numpy) and chunked by local day, so memory stays at one day's frame however long the history;
counters carry from one day to the next. Frames have the store contract's raw columns
(``ts`` UTC, ``point_id``, ``value``, ``quality``), with ``point_id`` as a categorical to keep them small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import pandas as pd

from models.reading import Quality, point_id
from models.resolve import register_points
from models.site import Site
from models.template import ModbusTemplate
from simulators.counters import integrate, origin_for
from simulators.device_values import all_values
from simulators.physics import site_frame
from simulators.registers import register_step


class FrameWriter(Protocol):
    def write_frame(self, frame: pd.DataFrame) -> int: ...


@dataclass
class BackfillResult:
    rows: int = 0
    days: int = 0
    counters: dict[str, float] = field(default_factory=dict)  # value after the last row: where live continues


def day_bounds(site: Site, start: datetime, end: datetime) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """[start, end) cut at the site's local midnights (storage dispatch and daily draws follow local days)."""
    tz = site.info.timezone
    lo, hi = pd.Timestamp(start).tz_convert(tz), pd.Timestamp(end).tz_convert(tz)
    cuts = [lo, *pd.date_range(lo.normalize() + pd.Timedelta(days=1), hi, freq="D", inclusive="left"), hi]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def history_chunks(
    site: Site,
    start: datetime,
    end: datetime,
    step: str = "1min",
    seed: int = 0,
    origins: dict[str, float] | None = None,
    result: BackfillResult | None = None,
    registered: bool = False,
) -> Iterator[pd.DataFrame]:
    """One raw-readings frame per local day of [start, end) at ``step`` resolution.

    ``registered``: counters as a collector reads them from the Modbus registers (whole register steps), not
    the exact integral; the carried counters stay exact either way."""
    if pd.Timestamp(start).tzinfo is None or pd.Timestamp(end).tzinfo is None:
        raise ValueError("history needs tz-aware start and end (e.g. datetime(..., tzinfo=UTC))")
    delta = pd.Timedelta(step)
    step_h = delta.total_seconds() / 3600.0
    counters = dict(origins or {})
    result = result if result is not None else BackfillResult()
    for lo, hi in day_bounds(site, start, end):
        index = pd.date_range(lo, hi, freq=delta, inclusive="left").tz_convert("UTC")
        if len(index) == 0:
            continue
        frame = _day_frame(site, index, seed, step_h, counters, registered)
        result.rows += len(frame)
        result.days += 1
        yield frame
    result.counters = counters


def _day_frame(
    site: Site, index: pd.DatetimeIndex, seed: int, step_h: float, counters: dict[str, float], registered: bool
) -> pd.DataFrame:
    values = all_values(site, site_frame(site, index, seed))
    columns: dict[str, np.ndarray] = {}
    for device_id, dv in values.items():
        for name, series in dv.instant.items():
            columns[point_id(device_id, name)] = series
        for name, rate in dv.rates.items():
            pid = point_id(device_id, name)
            origin = counters.get(pid, origin_for(pid, seed))
            readings, counters[pid] = integrate(rate, step_h, origin)
            step = counter_step(site, device_id, name, counters[pid]) if registered else 0.0
            columns[pid] = as_registered(readings, step)
    return long_frame(index, columns)


def counter_step(site: Site, device_id: str, name: str, value: float) -> float:
    """The step of the counter's Modbus register near ``value`` (0 for MQTT devices and float registers)."""
    template = site.template_of(site.device(device_id))
    if not isinstance(template, ModbusTemplate):
        return 0.0
    point = next((p for p in register_points(template) if p.name == name), None)
    return register_step(point, value) if point is not None else 0.0


def as_registered(readings: np.ndarray, step: float) -> np.ndarray:
    """Counter readings as a collector reads them from the register: whole steps, cut down like a meter's display.

    History must look like what the live site will serve: a restart seeds the live counters from the newest
    stored value, and a fraction of a step there would read back rounded, a small drop counted as a reset."""
    if step <= 0:
        return readings
    return np.floor(readings / step + 1e-9) * step  # 1e-9: 19144.5 / 0.1 is 191444.99999999997


def long_frame(index: pd.DatetimeIndex, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Wide arrays (one per point) to the store's long raw-readings frame, point-major."""
    names = sorted(columns)
    n = len(index)
    ts = pd.DatetimeIndex(np.tile(index.as_unit("ns").asi8, len(names))).tz_localize("UTC")
    codes = np.repeat(np.arange(len(names), dtype=np.int32), n)
    return pd.DataFrame(
        {
            "ts": ts,
            "point_id": pd.Categorical.from_codes(codes, categories=names),
            "value": np.concatenate([np.asarray(columns[k], dtype=np.float64) for k in names]) if names else [],
            "quality": pd.Categorical.from_codes(np.zeros(len(codes), dtype=np.int8), categories=[Quality.GOOD.value]),
        }
    )


def history_frame(
    site: Site, start: datetime, end: datetime, step: str = "1min", seed: int = 0
) -> pd.DataFrame:
    """The whole history in one frame (for tests and short ranges; use :func:`backfill` for months)."""
    chunks = list(history_chunks(site, start, end, step, seed))
    if not chunks:
        return long_frame(pd.DatetimeIndex([], tz="UTC"), {})
    return pd.concat(chunks, ignore_index=True)


def backfill(
    store: FrameWriter,
    site: Site,
    start: datetime,
    end: datetime,
    step: str = "1min",
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    origins: dict[str, float] | None = None,
) -> BackfillResult:
    """Write history day by day into ``store``; ``progress(rows)`` after each day. Returns rows and end counters.

    Counters are stored as the collector would have read them (whole register steps, see :func:`as_registered`).

    ``origins`` (point id -> value) continue counters already in the store, e.g. when filling the gap after a
    restart; counters not given start at their seed's origin."""
    result = BackfillResult()
    for frame in history_chunks(site, start, end, step, seed, origins, result=result, registered=True):
        store.write_frame(frame)
        if progress is not None:
            progress(len(frame))
    return result
