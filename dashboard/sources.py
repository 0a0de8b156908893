"""The console's one doorway to the floors below: energy from storage, KPIs from carbon, alarms from alerts.

Pages call these functions and draw what they return; no page computes a KPI itself, so a test can compare
the number on screen with the carbon module's answer for the same period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from carbon.offsets import building_load_total_kwh
from dashboard.context import Console
from models.site import PointInfo
from models.vocabulary import EnergyRole, PointKind
from storage.base import Resolution

ENERGY_COLUMNS = ["start", "role", "subsystem", "energy_kwh", "quality"]
RAW_LIMIT = timedelta(hours=6)  # dashboard.periods reads raw up to 6 h; anything longer is a rollup


@dataclass(frozen=True)
class Balance:
    """Energy over a period by role, kWh; ``subsystems`` is each sub-meter's consumption (EV chargers included)."""

    grid_import: float = 0.0
    grid_export: float = 0.0
    pv: float = 0.0
    wind: float = 0.0
    battery_charge: float = 0.0
    battery_discharge: float = 0.0
    ev_charging: float = 0.0
    subsystems: dict[str, float] = field(default_factory=dict)
    measured: bool = False  # any meter read in the period: an empty store gives gaps of 0 kWh, not a day of 0

    @property
    def generation(self) -> float:
        return self.pv + self.wind

    @property
    def load(self) -> float:
        """Energy the building used: L = I + G - X - C + D, by the carbon module's one balance."""
        flows = {"grid_import": self.grid_import, "grid_export": self.grid_export, "pv": self.pv, "wind": self.wind,
                 "battery_charge": self.battery_charge, "battery_discharge": self.battery_discharge}
        return building_load_total_kwh(flows)


def energy_frame(console: Console, start: datetime, end: datetime, by: str = "day") -> pd.DataFrame:
    """Counter energy per interval, role and subsystem (``storage.energy.energy_by_role``)."""
    from storage.energy import energy_by_role

    frame = energy_by_role(console.store, console.site, start, end, by=by)
    return frame if not frame.empty else pd.DataFrame(columns=ENERGY_COLUMNS)


def has_readings(frame: pd.DataFrame) -> bool:
    """Whether an energy frame holds anything measured: with no readings the store answers every interval with
    0 kWh flagged ``gap``, which must read as "nothing measured", never as a building that used nothing. (An
    interval's quality is the worst of its points, so one silent meter flags a measured interval ``gap`` too:
    energy counts as well.)"""
    if frame.empty:
        return False
    return bool(_measured(frame).any())


def measured_share(frame: pd.DataFrame) -> float | None:
    """The share of an energy frame's intervals in which anything was measured (:func:`has_readings` per
    interval); None without intervals. A period's figure from part of it says so, or is scaled by it."""
    if frame.empty:
        return None
    return float(_measured(frame).groupby(frame["start"]).any().mean())


def _measured(frame: pd.DataFrame) -> pd.Series:
    return (frame["quality"] != "gap") | (frame["energy_kwh"].astype(float).abs() > 0)


def balance(frame: pd.DataFrame) -> Balance:
    if frame.empty:
        return Balance()
    by_role = frame.groupby("role")["energy_kwh"].sum()
    consumption = frame[frame["role"].isin([str(EnergyRole.CONSUMPTION), str(EnergyRole.EV_CHARGING)])]
    return Balance(
        grid_import=float(by_role.get(str(EnergyRole.GRID_IMPORT), 0.0)),
        grid_export=float(by_role.get(str(EnergyRole.GRID_EXPORT), 0.0)),
        pv=float(by_role.get(str(EnergyRole.PV), 0.0)),
        wind=float(by_role.get(str(EnergyRole.WIND), 0.0)),
        battery_charge=float(by_role.get(str(EnergyRole.BATTERY_CHARGE), 0.0)),
        battery_discharge=float(by_role.get(str(EnergyRole.BATTERY_DISCHARGE), 0.0)),
        ev_charging=float(by_role.get(str(EnergyRole.EV_CHARGING), 0.0)),
        subsystems={str(k): float(v) for k, v in consumption.groupby("subsystem")["energy_kwh"].sum().items()},
        measured=has_readings(frame),
    )


def power_points(console: Console, role: EnergyRole) -> list[PointInfo]:
    return [p for p in console.points_by_role(role) if p.kind in (PointKind.POWER, PointKind.SOC)]


def latest_values(console: Console, points: Sequence[PointInfo]) -> dict[str, float]:
    """Newest good value per point id (missing or bad points are left out, never shown as 0)."""
    if not points:
        return {}
    frame = console.store.latest([p.id for p in points])
    good = frame[(frame["quality"] == "good") & frame["value"].notna()]
    return {str(r.point_id): float(r.value) for r in good.itertuples()}


def series(
    console: Console, point_ids: Sequence[str], start: datetime, end: datetime, resolution: Resolution
) -> pd.DataFrame:
    """``ts, point_id, value`` at ``resolution``: raw values, or the rollup mean. Long ranges come from rollups
    only: a raw read longer than :data:`RAW_LIMIT` is read at 15 minutes instead (a month of 1-minute rows of
    one point is 43,200 rows per viewer; its 15-minute rollup 2,880)."""
    if resolution == "raw" and end - start > RAW_LIMIT:
        resolution = "15min"
    frame = console.store.read(list(point_ids), start, end, resolution)
    if frame.empty:
        return pd.DataFrame(columns=["ts", "point_id", "value", "quality"])
    frame = frame.assign(ts=pd.to_datetime(frame["ts"]).dt.tz_convert(console.site.info.timezone))  # local axes
    if resolution == "raw":
        return frame
    # The interval still filling holds only the meters that reported so far: a stacked chart would dip to
    # zero at its right edge. Charts show complete intervals; the live values are on the Overview.
    out = frame[frame["ts"] < current_interval_start(console, resolution)].rename(columns={"mean": "value"})
    out["quality"] = ["good" if bad == 0 else "partial" for bad in out["bad_count"]]
    return out[["ts", "point_id", "value", "quality"]]


def current_interval_start(console: Console, resolution: Resolution) -> pd.Timestamp:
    """Local start of the rollup interval that contains the console's now."""
    now = pd.Timestamp(console.now()).tz_convert(console.site.info.timezone)
    if resolution in ("15min", "hour"):
        return now.floor("15min" if resolution == "15min" else "h")
    midnight = now.normalize()
    return midnight if resolution == "day" else midnight.replace(day=1)


def point_energy(
    console: Console, points: Sequence[PointInfo], start: datetime, end: datetime, by: str
) -> pd.DataFrame:
    """Counter energy per point and interval (``storage.energy.interval_energy``) with device and role."""
    from storage.energy import interval_energy

    if not points:
        return pd.DataFrame(columns=["point_id", "device", "role", "start", "energy_kwh", "quality"])
    frame = interval_energy(console.store, points, start, end, by=by, timezone=console.site.info.timezone)
    info = {p.id: p for p in points}
    frame = frame.copy()
    frame["device"] = [info[pid].device for pid in frame["point_id"]]
    frame["role"] = [str(info[pid].role) for pid in frame["point_id"]]
    return frame
