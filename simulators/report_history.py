"""A carbon baseline year of history, written fast: only the points a carbon report reads, at 5-minute steps.

The demo's Carbon page fits its ASHRAE G14 baseline on a whole configured year (config/carbon.yaml ``baseline``),
but the demo's 1-minute backfill of every point takes ~11 s per 30 days. A report reads energy counters (and the
power points of devices without one), outdoor temperature, visitors, irradiance and module temperature: about
one point in twelve. At 5-minute steps, the coarsest at which a counter's intervals still read ``measured``
(``storage.energy.gap_limit_s``: three missed polls, never under five minutes), a year is 1/60 of the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from models.reading import point_id
from models.site import PointInfo, Site
from models.vocabulary import EnergyRole, PointKind
from simulators.backfill import BackfillResult, FrameWriter, as_registered, counter_step, day_bounds, long_frame
from simulators.counters import integrate, origin_for
from simulators.device_values import all_values
from simulators.physics import site_frame

STEP = "5min"
PER_HOUR = 12  # 5-minute readings per simulated hour
# site_frame costs ~0.1 s a call whatever its length (clear-sky, EV sessions): a month per call, not a day;
# the report points come out identical either way (checked against day-by-day calls)
CHUNK_DAYS = 31
ENERGY_ROLES = (EnergyRole.GRID_IMPORT, EnergyRole.GRID_EXPORT, EnergyRole.PV, EnergyRole.WIND,
                EnergyRole.BATTERY_CHARGE, EnergyRole.BATTERY_DISCHARGE, EnergyRole.EV_CHARGING,
                EnergyRole.CONSUMPTION, EnergyRole.COOLING_DELIVERED)
CONDITION_ROLES = (EnergyRole.OUTDOOR_TEMPERATURE, EnergyRole.VISITORS, EnergyRole.IRRADIANCE_POA,
                   EnergyRole.MODULE_TEMPERATURE)
ENERGY_KINDS = (PointKind.ENERGY_COUNTER, PointKind.POWER, PointKind.THERMAL_POWER)


def report_points(site: Site) -> set[str]:
    """Every point a carbon report reads: per device and energy role the counter, or the power point of a device
    without one (as ``storage.energy.energy_points`` chooses), and the conditions."""
    chosen: dict[tuple[str, EnergyRole], PointInfo] = {}
    for p in site.points():
        if p.role not in ENERGY_ROLES or p.kind not in ENERGY_KINDS:
            continue
        held = chosen.get((p.device, p.role))
        if held is None or (p.kind is PointKind.ENERGY_COUNTER and held.kind is not PointKind.ENERGY_COUNTER):
            chosen[(p.device, p.role)] = p
    return {p.id for p in chosen.values()} | {p.id for role in CONDITION_ROLES for p in site.points_by_role(role)}


def backfill_report_history(
    store: FrameWriter,
    site: Site,
    start: datetime,
    end: datetime,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    origins: dict[str, float] | None = None,
) -> BackfillResult:
    """Write [start, end) for :func:`report_points` only, readings every 5 minutes, a month at a time.

    The physics runs hourly (site_frame over every device is what costs) and each hour's power is held for its
    twelve 5-minute readings: counters integrate that piecewise-constant power, so they stay the exact integral
    of what the instant values say, and read as a collector reads the register. ``progress(rows)`` once per
    local day after its month is written (a caller may raise there to stop between whole months). Returns rows
    written and the counters after the last row, so later history can continue them."""
    keep = report_points(site)
    counters = dict(origins or {})
    result = BackfillResult()
    days = day_bounds(site, start, end)
    for first in range(0, len(days), CHUNK_DAYS):
        chunk = days[first:first + CHUNK_DAYS]
        hours = pd.date_range(chunk[0][0], chunk[-1][1], freq="h", inclusive="left").tz_convert("UTC")
        if len(hours) == 0:
            continue
        fine = pd.date_range(hours[0], hours[0] + len(hours) * pd.Timedelta(hours=1), freq=STEP, inclusive="left")
        frame = long_frame(fine, _columns(site, hours, seed, keep, counters))
        store.write_frame(frame)
        result.rows += len(frame)
        result.days += len(chunk)
        for _ in chunk:
            if progress is not None:
                progress(len(frame) // len(chunk))
    result.counters = counters
    return result


def _columns(site: Site, hours: pd.DatetimeIndex, seed: int, keep: set[str],
             counters: dict[str, float]) -> dict[str, np.ndarray]:
    """The kept points' 5-minute values for ``hours``; ``counters`` carried to the end of the last hour."""
    columns: dict[str, np.ndarray] = {}
    for device_id, dv in all_values(site, site_frame(site, hours, seed)).items():
        for name, series in dv.instant.items():
            if point_id(device_id, name) in keep:
                columns[point_id(device_id, name)] = np.repeat(np.asarray(series, dtype=float), PER_HOUR)
        for name, rate in dv.rates.items():
            pid = point_id(device_id, name)
            if pid not in keep:
                continue
            origin = counters.get(pid, origin_for(pid, seed))
            readings, counters[pid] = integrate(np.repeat(np.asarray(rate, dtype=float), PER_HOUR),
                                                1.0 / PER_HOUR, origin)
            columns[pid] = as_registered(readings, counter_step(site, device_id, name, counters[pid]))
    return columns
