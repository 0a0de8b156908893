"""The frames a carbon report needs, gathered from a store: the only module of ``carbon`` that reads storage.

:class:`CarbonInputs` can also be built by hand (tests, other tools): every metric works on these frames alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from models.site import Site
from models.vocabulary import EnergyRole
from storage.base import Resolution, RollupReader

ENERGY_COLUMNS = ("start", "role", "subsystem", "energy_kwh", "quality")
DAILY_COLUMNS = ("temperature_c", "visitors", "cooling_kwh_th")
HOURLY_WEATHER_COLUMNS = ("poa_w_per_m2", "module_temperature_c", "outdoor_temperature_c")


@dataclass(frozen=True)
class SiteFacts:
    """What a report needs to know about the site, copied from the site model."""

    id: str
    name: str
    name_zh: str
    timezone: str
    pv_capacity_kwp: float = 0.0
    pv_gamma_pdc_per_c: float = -0.004
    wind_rated_kw: float = 0.0
    storage_capacity_kwh: float = 0.0
    subsystems: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (English, 中文)
    config_hash: str = ""

    @classmethod
    def of(cls, site: Site) -> SiteFacts:
        es = site.energy_systems
        pv_kwp = sum(p.capacity_kwp for p in es.pv)
        gamma = (sum(p.gamma_pdc_per_c * p.capacity_kwp for p in es.pv) / pv_kwp) if pv_kwp else -0.004
        return cls(site.info.id, site.info.name, site.info.name_zh, site.info.timezone, pv_kwp, gamma,
                   sum(w.rated_kw for w in es.wind), sum(s.capacity_kwh for s in es.storage),
                   {s.id: (s.name_en, s.name_zh) for s in site.subsystems}, site.config_hash)


@dataclass(frozen=True)
class CarbonInputs:
    """Energy by role and subsystem, daily conditions and hourly PV weather.

    - ``energy``: hourly over the report period; columns ``start`` (tz-aware, local), ``role``, ``subsystem``,
      ``energy_kwh``, ``quality`` (``storage.energy.energy_by_role(..., by="hour")``);
    - ``energy_daily``: the same columns by local day over ``[start, end)``, for the baseline and year to date
      (``None``: derived from ``energy``);
    - ``daily``: indexed by local midnight, columns ``temperature_c`` (mean outdoor), ``visitors`` (served that
      day), ``cooling_kwh_th`` (chiller plant cooling delivered);
    - ``weather``: indexed by hour start, ``poa_w_per_m2``, ``module_temperature_c`` and
      ``outdoor_temperature_c`` (hourly means; the last feeds hourly baselines).
    ``start`` may precede the report period so the baseline year and year-to-date are covered.
    """

    site: SiteFacts
    start: date
    end: date
    energy: pd.DataFrame
    daily: pd.DataFrame
    weather: pd.DataFrame
    energy_daily: pd.DataFrame | None = None

    def by_day(self) -> pd.DataFrame:
        """Daily energy over the whole span (given, or summed from the hourly frame)."""
        if self.energy_daily is not None:
            return self.energy_daily
        return daily_energy(self.energy, self.site.timezone)


def daily_energy(hourly: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Sum an hourly energy frame to local days; a day's quality is the worst of its hours."""
    rank = {"measured": 0, "estimated": 1, "gap": 2}
    frame = hourly.assign(start=hourly["start"].dt.tz_convert(timezone).dt.floor("D"),
                          rank=hourly["quality"].map(rank).fillna(2))
    out = frame.groupby(["start", "role", "subsystem"], sort=True).agg(
        energy_kwh=("energy_kwh", "sum"), rank=("rank", "max")).reset_index()
    out["quality"] = out["rank"].map({v: k for k, v in rank.items()})
    return out[list(ENERGY_COLUMNS)]


def load_inputs(store: RollupReader, site: Site, start: date, end: date,
                hourly_from: date | None = None) -> CarbonInputs:
    """Gather a report's frames from ``store``: daily over local dates ``[start, end)``, hourly from
    ``hourly_from`` (default ``start``) to ``end``: the baseline year needs days, only the period needs hours."""
    tz = site.info.timezone
    t0, t1 = pd.Timestamp(start).tz_localize(tz), pd.Timestamp(end).tz_localize(tz)
    h0 = pd.Timestamp(hourly_from or start).tz_localize(tz)
    hourly = _energy(store, site, h0, t1, "hour")
    by_day = _energy(store, site, t0, t1, "day") if h0 > t0 else None
    daily, weather = _daily(store, site, t0, t1), _weather(store, site, h0, t1)
    return CarbonInputs(SiteFacts.of(site), start, end, hourly, daily, weather, by_day)


def _energy(store: RollupReader, site: Site, t0: pd.Timestamp, t1: pd.Timestamp, by: str) -> pd.DataFrame:
    from storage.energy import energy_by_role  # the one place carbon reads storage

    energy = energy_by_role(store, site, t0.to_pydatetime(), t1.to_pydatetime(), by)
    start = pd.to_datetime(energy["start"], utc=True).dt.tz_convert(site.info.timezone)
    return energy.assign(start=start)[list(ENERGY_COLUMNS)]


def _rollup(store: RollupReader, site: Site, role: EnergyRole, t0: pd.Timestamp, t1: pd.Timestamp,
            resolution: Resolution) -> pd.DataFrame:
    ids = [p.id for p in site.points_by_role(role) if p.kind.value != "energy_counter"]
    if not ids:
        return pd.DataFrame(columns=["ts", "point_id", "mean", "max", "count"])
    frame = store.read(ids, t0.to_pydatetime(), t1.to_pydatetime(), resolution)
    frame = frame.assign(ts=pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(site.info.timezone))
    return frame[frame["count"] > 0]


def _daily(store: RollupReader, site: Site, t0: pd.Timestamp, t1: pd.Timestamp) -> pd.DataFrame:
    days = pd.date_range(t0, t1, freq="D", inclusive="left")
    temp = _rollup(store, site, EnergyRole.OUTDOOR_TEMPERATURE, t0, t1, "day").groupby("ts")["mean"].mean()
    # tickets_today counts up through the day and resets at midnight: the day's max is the day's visitors
    visitors = _rollup(store, site, EnergyRole.VISITORS, t0, t1, "day").groupby("ts")["max"].sum()
    cooling = _rollup(store, site, EnergyRole.COOLING_DELIVERED, t0, t1, "day").groupby("ts")["mean"].sum() * 24
    frame = pd.DataFrame({"temperature_c": temp, "visitors": visitors, "cooling_kwh_th": cooling})
    return frame.reindex(days)


def _weather(store: RollupReader, site: Site, t0: pd.Timestamp, t1: pd.Timestamp) -> pd.DataFrame:
    poa = _rollup(store, site, EnergyRole.IRRADIANCE_POA, t0, t1, "hour").groupby("ts")["mean"].mean()
    temp = _rollup(store, site, EnergyRole.MODULE_TEMPERATURE, t0, t1, "hour").groupby("ts")["mean"].mean()
    air = _rollup(store, site, EnergyRole.OUTDOOR_TEMPERATURE, t0, t1, "hour").groupby("ts")["mean"].mean()
    return pd.DataFrame({"poa_w_per_m2": poa, "module_temperature_c": temp, "outdoor_temperature_c": air})
