"""Interval energy in kWh: from cumulative counter rollups (measured) or, where a point has no counter,
from mean power × interval length (estimated). What the ``energy`` command, carbon and the dashboard call.

Each interval carries a quality an auditor can act on:

- ``measured``: counter energy, with readings covering the interval (no stretch without a good reading
  longer than :func:`gap_limit_s`);
- ``estimated``: power integrated over the interval (mean kW × hours), because the point is not a counter;
- ``gap``: no reading in the interval, or a stretch without readings longer than the limit. A counter's
  energy across a gap is still counted (the meter kept counting), in the interval of the first reading
  after the gap, so totals stay right while the gap is flagged.

Counter rules (resets, rollovers, rejected glitches) are in :mod:`storage.counters`; their counts per
interval come along as ``resets`` and ``glitches``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from models.site import PointInfo, Site
from models.vocabulary import EnergyRole, PointKind
from storage.base import RollupReader
from storage.frames import utc
from storage.rollups import bucket_end, bucket_start

BY = ("15min", "hour", "day", "month")
ENERGY_COLUMNS = ("point_id", "start", "end", "energy_kwh", "quality", "resets", "glitches")
ROLE_COLUMNS = ("start", "role", "subsystem", "energy_kwh", "quality")
COUNTER_KWH_PER_UNIT = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0, "kWh_th": 1.0}
POWER_KW_PER_UNIT = {"W": 0.001, "kW": 1.0, "MW": 1000.0, "kW_th": 1.0}
# Roles that are energy flows (summed); the others (battery_power, soc, irradiance, ...) are not.
ENERGY_ROLES = (
    EnergyRole.GRID_IMPORT,
    EnergyRole.GRID_EXPORT,
    EnergyRole.PV,
    EnergyRole.WIND,
    EnergyRole.BATTERY_CHARGE,
    EnergyRole.BATTERY_DISCHARGE,
    EnergyRole.EV_CHARGING,
    EnergyRole.CONSUMPTION,
    EnergyRole.COOLING_DELIVERED,
)
_QUALITY_RANK = {"measured": 0, "estimated": 1, "gap": 2}


def gap_limit_s(point: PointInfo) -> float:
    """Longest stretch without a good reading an interval may have and still be complete: three missed
    polls, and never under five minutes (a collector restart is not a gap)."""
    return max(3.0 * point.interval_s, 300.0)


def is_counter(point: PointInfo) -> bool:
    return point.kind is PointKind.ENERGY_COUNTER


def intervals(start: datetime, end: datetime, by: str, timezone: str) -> pd.DataFrame:
    """Local-time intervals of ``by`` overlapping ``[start, end)``: columns start, end (UTC)."""
    first = bucket_start(pd.Series([utc(start)]), by, timezone).iloc[0].tz_convert(timezone)
    freq = {"15min": "15min", "hour": "h", "day": "D", "month": "MS"}[by]
    starts = pd.date_range(first, utc(end).tz_convert(timezone), freq=freq, inclusive="left")
    frame = pd.DataFrame({"start": pd.Series(starts.tz_convert("UTC")).astype("datetime64[ns, UTC]")})
    frame["end"] = bucket_end(frame["start"], by, timezone)
    return frame


def interval_energy(
    store: RollupReader, points: Sequence[PointInfo], start: datetime, end: datetime, by: str, timezone: str
) -> pd.DataFrame:
    """Energy of each point in each ``by`` interval (local time) overlapping ``[start, end)``.

    Brings the store's rollups current first (pending writes only, cheap when nothing is pending).
    Columns: point_id, start, end (UTC), energy_kwh, quality, resets, glitches.
    """
    if by not in BY:
        raise ValueError(f"energy by {by!r}: use one of {', '.join(BY)}")
    _check_points(points)
    store.update_rollups()
    grid = intervals(start, end, by, timezone)
    if not points or grid.empty:
        return pd.DataFrame({c: [] for c in ENERGY_COLUMNS})
    # ``by`` was checked against BY above: it is a Resolution
    rows = store.read([p.id for p in points], grid["start"].iloc[0], grid["end"].iloc[-1], by)  # type: ignore[arg-type]
    return _energy(points, grid, rows)[list(ENERGY_COLUMNS)]


def _check_points(points: Sequence[PointInfo]) -> None:
    for p in points:
        table = COUNTER_KWH_PER_UNIT if is_counter(p) else POWER_KW_PER_UNIT
        if p.kind not in (PointKind.ENERGY_COUNTER, PointKind.POWER, PointKind.THERMAL_POWER):
            raise ValueError(f"{p.id} is a {p.kind} point: energy needs an energy counter or a power point")
        if p.unit not in table:
            raise ValueError(f"{p.id} has unit {p.unit!r}; energy needs one of {sorted(table)}")


def _energy(points: Sequence[PointInfo], grid: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every (point, interval), with the point's rollup row where there is one."""
    catalogue = pd.DataFrame(
        {
            "point_id": [p.id for p in points],
            "counter": [is_counter(p) for p in points],
            "factor": [(COUNTER_KWH_PER_UNIT if is_counter(p) else POWER_KW_PER_UNIT)[p.unit] for p in points],
            "gap_limit_s": [gap_limit_s(p) for p in points],
        }
    )
    cells = catalogue.merge(grid, how="cross")
    merged = cells.merge(rows, left_on=["point_id", "start"], right_on=["point_id", "ts"], how="left")
    count = merged["count"].fillna(0).to_numpy()
    gap = (count == 0) | (merged["max_gap_s"].fillna(np.inf).to_numpy() > merged["gap_limit_s"].to_numpy())
    counter = merged["counter"].to_numpy(dtype=bool)
    hours = (merged["end"] - merged["start"]).dt.total_seconds().to_numpy() / 3600.0
    measured = merged["increase"].fillna(0.0).to_numpy()
    estimated = merged["mean"].fillna(0.0).to_numpy() * hours
    return pd.DataFrame(
        {
            "point_id": merged["point_id"],
            "start": merged["start"],
            "end": merged["end"],
            "energy_kwh": np.where(counter, measured, estimated) * merged["factor"].to_numpy(),
            "quality": np.where(gap, "gap", np.where(counter, "measured", "estimated")),
            "resets": merged["resets"].fillna(0).astype("int64"),
            "glitches": merged["glitches"].fillna(0).astype("int64"),
        }
    )


def energy_points(site: Site) -> dict[tuple[str, EnergyRole], PointInfo]:
    """Per (device, energy role) the point that measures it: the counter if the device has one for that
    role, else its power point (estimated)."""
    chosen: dict[tuple[str, EnergyRole], PointInfo] = {}
    for p in site.points():
        if p.role not in ENERGY_ROLES or p.kind not in (PointKind.ENERGY_COUNTER, PointKind.POWER,
                                                         PointKind.THERMAL_POWER):
            continue
        key = (p.device, p.role)
        if key not in chosen or (is_counter(p) and not is_counter(chosen[key])):
            chosen[key] = p
    return chosen


def energy_by_role(store: RollupReader, site: Site, start: datetime, end: datetime, by: str,
                   roles: Collection[str] | None = None) -> pd.DataFrame:
    """Energy per interval, role and subsystem (kWh); an interval's quality is the worst of its points.
    ``roles``: only these (e.g. the grid and battery flows a storage saving needs), read from the store alone."""
    chosen = {k: p for k, p in energy_points(site).items() if roles is None or str(p.role) in roles}
    per_point = interval_energy(store, list(chosen.values()), start, end, by, site.info.timezone)
    if per_point.empty:
        return pd.DataFrame({c: [] for c in ROLE_COLUMNS})
    catalogue = pd.DataFrame(
        {
            "point_id": [p.id for p in chosen.values()],
            "role": [str(p.role) for p in chosen.values()],
            "subsystem": [p.subsystem for p in chosen.values()],
        }
    )
    per_point = per_point.merge(catalogue, on="point_id", how="left")
    per_point["rank"] = per_point["quality"].map(_QUALITY_RANK)
    grouped = per_point.groupby(["start", "role", "subsystem"], sort=True)
    out = grouped.agg(energy_kwh=("energy_kwh", "sum"), rank=("rank", "max")).reset_index()
    names = {rank: name for name, rank in _QUALITY_RANK.items()}
    out["quality"] = out["rank"].map(names)
    return out[list(ROLE_COLUMNS)]
