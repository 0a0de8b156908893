"""The frames a carbon report needs, gathered from a store: the only module of ``carbon`` that reads storage.

:class:`CarbonInputs` can also be built by hand (tests, other tools): every metric works on these frames alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from models.site import Site
from models.vocabulary import EnergyRole

ENERGY_COLUMNS = ("start", "role", "subsystem", "energy_kwh", "quality")
DAILY_COLUMNS = ("temperature_c", "visitors", "cooling_kwh_th")
HOURLY_WEATHER_COLUMNS = ("poa_w_per_m2", "module_temperature_c")


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
    """Hourly energy by role and subsystem, daily conditions and hourly PV weather over ``[start, end)``.

    - ``energy``: columns ``start`` (tz-aware, local), ``role``, ``subsystem``, ``energy_kwh``, ``quality``
      (``storage.energy.energy_by_role(..., by="hour")``);
    - ``daily``: indexed by local midnight, columns ``temperature_c`` (mean outdoor), ``visitors`` (served that
      day), ``cooling_kwh_th`` (chiller plant cooling delivered);
    - ``weather``: indexed by hour start, ``poa_w_per_m2`` and ``module_temperature_c`` (hourly means).
    ``start`` may precede the report period so the baseline year and year-to-date are covered.
    """

    site: SiteFacts
    start: date
    end: date
    energy: pd.DataFrame
    daily: pd.DataFrame
    weather: pd.DataFrame


def load_inputs(store, site: Site, start: date, end: date) -> CarbonInputs:  # type: ignore[no-untyped-def]
    """Gather a report's frames from ``store`` for local dates ``[start, end)``."""
    from storage.energy import energy_by_role  # storage lands beside carbon; imported where it is used

    tz = site.info.timezone
    t0, t1 = pd.Timestamp(start).tz_localize(tz), pd.Timestamp(end).tz_localize(tz)
    energy = energy_by_role(store, site, t0.to_pydatetime(), t1.to_pydatetime(), "hour")
    energy = energy.assign(start=pd.to_datetime(energy["start"]).dt.tz_convert(tz))[list(ENERGY_COLUMNS)]
    daily, weather = _daily(store, site, t0, t1), _weather(store, site, t0, t1)
    return CarbonInputs(SiteFacts.of(site), start, end, energy, daily, weather)


def _rollup(store, site: Site, role: EnergyRole, t0: pd.Timestamp, t1: pd.Timestamp, resolution: str):  # type: ignore[no-untyped-def]
    ids = [p.id for p in site.points_by_role(role) if p.kind.value != "energy_counter"]
    if not ids:
        return pd.DataFrame(columns=["ts", "point_id", "mean", "max", "count"])
    frame = store.read(ids, t0.to_pydatetime(), t1.to_pydatetime(), resolution)
    frame = frame.assign(ts=pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(site.info.timezone))
    return frame[frame["count"] > 0]


def _daily(store, site: Site, t0: pd.Timestamp, t1: pd.Timestamp) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    days = pd.date_range(t0, t1, freq="D", inclusive="left")
    temp = _rollup(store, site, EnergyRole.OUTDOOR_TEMPERATURE, t0, t1, "day").groupby("ts")["mean"].mean()
    # tickets_today counts up through the day and resets at midnight: the day's max is the day's visitors
    visitors = _rollup(store, site, EnergyRole.VISITORS, t0, t1, "day").groupby("ts")["max"].sum()
    cooling = _rollup(store, site, EnergyRole.COOLING_DELIVERED, t0, t1, "day").groupby("ts")["mean"].sum() * 24
    frame = pd.DataFrame({"temperature_c": temp, "visitors": visitors, "cooling_kwh_th": cooling})
    return frame.reindex(days)


def _weather(store, site: Site, t0: pd.Timestamp, t1: pd.Timestamp) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    poa = _rollup(store, site, EnergyRole.IRRADIANCE_POA, t0, t1, "hour").groupby("ts")["mean"].mean()
    temp = _rollup(store, site, EnergyRole.MODULE_TEMPERATURE, t0, t1, "hour").groupby("ts")["mean"].mean()
    return pd.DataFrame({"poa_w_per_m2": poa, "module_temperature_c": temp})
