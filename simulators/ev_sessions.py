"""EV charging sessions in the car park: who plugs in where, when, for how long, and how much energy they take.

The EV platform's readings (power, chargers in use, sessions counter) and the EV sub-meter's load are sums over
these sessions, so the console's EV view and a dispatch planner see one consistent story.

Data shape (:data:`SESSION_COLUMNS`, one row per session, times tz-aware UTC)::

    session_id     "2026-12-03/0042"   local date of arrival / sequence of the day
    charger_id     "EV-042"            one of the fleet's chargers (``simulate: {chargers: 611}``)
    space_id       "P-0196"            the parking space the charger stands at (of ``spaces``, 2846)
    charger_kw     7.0 or 60.0         the charger's rating (AC wallbox / DC fast charger)
    arrival        Timestamp           car plugged in
    departure      Timestamp           car leaves (the latest time the energy may be delivered)
    charge_end     Timestamp           when the energy was delivered charging at full rate from arrival
    requested_kwh  float               what the driver wanted
    energy_kwh     float               what was delivered (requested, or less if the car left first)

Flexibility for a planner is ``departure - arrival`` against ``energy_kwh / charger_kw``. Each local day is drawn
from (seed, day) alone and every session ends the day it starts, so a day computed alone, a week computed at
once and the live site agree (as the weather and storage dispatch do).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from models.site import Device, Site

SESSION_COLUMNS = ["session_id", "charger_id", "space_id", "charger_kw", "arrival", "departure", "charge_end",
                   "requested_kwh", "energy_kwh"]
WEEKDAY_SESSIONS = 450  # ~0.75 sessions per charger on a working day; Saturday 30 %, Sunday 5 % (building.py)
WEEKEND_SHARE = {5: 0.3, 6: 0.05}
STAFF_SHARE = 0.55  # staff plug in on arrival and stay the working day; visitors stay one to two hours
LAST_DEPARTURE_H = 23.5  # everyone has left before midnight: days stay independent


@dataclass(frozen=True)
class Fleet:
    chargers: int
    dc_chargers: int
    ac_kw: float
    dc_kw: float
    spaces: int

    def rating_kw(self, charger: np.ndarray) -> np.ndarray:
        """Chargers are numbered AC first, then DC (the fast chargers at the car park entrance)."""
        return np.where(charger >= self.chargers - self.dc_chargers, self.dc_kw, self.ac_kw)


def ev_platform(site: Site) -> Device | None:
    """The device whose ``simulate`` hint declares the charger fleet (the EV platform), if the site has one."""
    return next((d for d in site.devices if "chargers" in d.simulate), None)


def fleet_of(site: Site) -> Fleet | None:
    device = ev_platform(site)
    if device is None:
        return None
    hint = device.simulate
    spaces = next((int(float(d.simulate["spaces"])) for d in site.devices if "spaces" in d.simulate), 0)
    chargers = int(float(hint["chargers"]))
    return Fleet(chargers=chargers, dc_chargers=int(float(hint.get("dc_chargers", chargers // 15))),
                 ac_kw=float(hint.get("ac_kw", 7.0)), dc_kw=float(hint.get("dc_kw", 60.0)),
                 spaces=max(spaces, chargers))


def _rng(seed: int, day: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(b"ev-sessions"), day + 100_000])


def _arrivals_and_stays(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(arrival hour, stay hours, requested kWh) for ``n`` drivers: staff in the morning, visitors 9-17."""
    staff = rng.random(n) < STAFF_SHARE
    arrival = np.where(staff, rng.normal(8.3, 0.5, n), rng.uniform(9.0, 16.5, n))
    stay = np.where(staff, rng.normal(8.5, 1.0, n), rng.lognormal(np.log(1.4), 0.4, n))
    requested = np.where(staff, rng.lognormal(np.log(16.0), 0.45, n), rng.lognormal(np.log(9.0), 0.5, n))
    arrival = np.clip(arrival, 6.0, 20.0)
    stay = np.clip(stay, 0.25, LAST_DEPARTURE_H - arrival)
    return arrival, stay, np.clip(requested, 2.0, 70.0)


def _assign_chargers(rng: np.random.Generator, arrival: np.ndarray, departure: np.ndarray,
                     fleet: Fleet) -> np.ndarray:
    """A free charger for each driver in arrival order (-1 when all are taken: that driver does not charge)."""
    free_at = np.zeros(fleet.chargers)
    charger = np.full(len(arrival), -1)
    for i in np.argsort(arrival, kind="stable"):
        free = np.flatnonzero(free_at <= arrival[i])
        if len(free):
            charger[i] = free[int(rng.integers(len(free)))]
            free_at[charger[i]] = departure[i]
    return charger


@lru_cache(maxsize=64)
def _day(site_key: str, fleet: Fleet, timezone: str, day: int, seed: int) -> pd.DataFrame:
    rng = _rng(seed, day)
    midnight = pd.Timestamp(day * 86_400, unit="s").tz_localize(timezone)  # day: local ordinal since 1970
    share = WEEKEND_SHARE.get(midnight.day_of_week, 1.0)
    n = int(rng.poisson(WEEKDAY_SESSIONS * share * fleet.chargers / 611))
    arrival_h, stay_h, requested = _arrivals_and_stays(rng, n)
    charger = _assign_chargers(rng, arrival_h, arrival_h + stay_h, fleet)
    keep = charger >= 0
    arrival_h, stay_h, requested, charger = arrival_h[keep], stay_h[keep], requested[keep], charger[keep]
    order = np.argsort(arrival_h, kind="stable")
    arrival_h, stay_h, requested, charger = arrival_h[order], stay_h[order], requested[order], charger[order]
    kw = fleet.rating_kw(charger)
    energy = np.minimum(requested, kw * stay_h)
    as_time = lambda hours: (midnight + pd.to_timedelta(np.round(hours * 3600), unit="s")).tz_convert("UTC")  # noqa: E731
    date = f"{midnight:%Y-%m-%d}"
    arrival, charge_end = as_time(arrival_h), as_time(arrival_h + energy / kw)
    # times are whole seconds: the delivered energy is what full-rate charging between them gives, exactly
    energy = kw * (charge_end - arrival).total_seconds().to_numpy() / 3600.0
    return pd.DataFrame({
        "session_id": [f"{date}/{k + 1:04d}" for k in range(len(charger))],
        "charger_id": [f"EV-{c + 1:03d}" for c in charger],
        "space_id": [f"P-{int(c * fleet.spaces / fleet.chargers) + 1:04d}" for c in charger],
        "charger_kw": kw,
        "arrival": arrival,
        "departure": as_time(arrival_h + stay_h),
        "charge_end": charge_end,
        "requested_kwh": requested,
        "energy_kwh": energy,
    }, columns=SESSION_COLUMNS)


def _local_days(site: Site, start: pd.Timestamp, end: pd.Timestamp) -> range:
    tz = site.info.timezone

    def ordinal(ts: pd.Timestamp) -> int:
        return int(ts.tz_convert(tz).tz_localize(None).normalize().value // 86_400_000_000_000)

    return range(ordinal(start), ordinal(end) + 1)


def charging_sessions(site: Site, start: object, end: object, seed: int = 0) -> pd.DataFrame:
    """Every session that is plugged in at some time in ``[start, end)`` (UTC), in arrival order."""
    fleet = fleet_of(site)
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if fleet is None or t1 <= t0:
        return pd.DataFrame(columns=SESSION_COLUMNS)
    days = [_day(site.info.id, fleet, site.info.timezone, d, seed) for d in _local_days(site, t0, t1)]
    frame = pd.concat(days, ignore_index=True) if days else pd.DataFrame(columns=SESSION_COLUMNS)
    return frame[(frame["arrival"] < t1) & (frame["departure"] > t0)].reset_index(drop=True)


CHUNK_ROWS = 1440  # instants per block: a day of minutes x a day's sessions is ~6 MB per matrix


def fleet_values(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """What the platform reports at each row of an evenly spaced ``index``: ``power_kw`` (mean over the row's
    step, so the integrated counter equals the sessions' energy), ``plugged`` (chargers in use at the row's
    instant) and ``arrivals_per_h`` (sessions started during the row's step, as a rate for the counter).

    Computed in blocks of :data:`CHUNK_ROWS` instants against only the sessions that touch the block, so memory
    stays that of one day whatever the range (a year at one minute was a sessions x instants matrix of ~600 GB)."""
    n = len(index)
    out = {"power_kw": np.zeros(n), "plugged": np.zeros(n), "arrivals_per_h": np.zeros(n)}
    if sessions.empty or n == 0:
        return out
    t = index.as_unit("ns").asi8 / 1e9
    step = float(t[1] - t[0]) if n > 1 else 60.0
    seconds = {c: sessions[c].dt.as_unit("ns").astype("int64").to_numpy() / 1e9
               for c in ("arrival", "departure", "charge_end")}
    kw = sessions["charger_kw"].to_numpy(dtype=float)
    for a in range(0, n, CHUNK_ROWS):
        b = min(a + CHUNK_ROWS, n)
        near = (seconds["arrival"] < t[b - 1] + step) & (np.maximum(seconds["departure"], seconds["charge_end"])
                                                         > t[a])
        part = {c: v[near] for c, v in seconds.items()}
        lo = t[a:b, None]
        hi = lo + step
        charging = np.clip(np.minimum(hi, part["charge_end"]) - np.maximum(lo, part["arrival"]), 0.0, None) / step
        out["power_kw"][a:b] = charging @ kw[near]
        out["plugged"][a:b] = ((part["arrival"] <= lo) & (lo < part["departure"])).sum(axis=1)
        out["arrivals_per_h"][a:b] = ((lo <= part["arrival"]) & (part["arrival"] < hi)).sum(axis=1) * 3600.0 / step
    return out


def managed_power_kw(sessions: pd.DataFrame, index: pd.DatetimeIndex, cap_kw: np.ndarray) -> np.ndarray:
    """Fleet power (mean kW per row of an evenly spaced ``index``) when a plan caps the fleet at ``cap_kw`` (NaN:
    no cap, every car at full rate) and the cap is shared earliest departure first. A car whose energy would no
    longer fit before it leaves charges at full rate whatever the cap says: the driver's energy comes first, so a
    plan made on other sessions than those that came costs power, never a car left short."""
    n = len(index)
    t = index.as_unit("ns").asi8 / 1e9
    step = float(t[1] - t[0]) if n > 1 else 60.0
    arrival, departure = (sessions[c].dt.as_unit("ns").astype("int64").to_numpy() / 1e9
                          for c in ("arrival", "departure"))
    kw = sessions["charger_kw"].to_numpy(dtype=float)
    left = sessions["energy_kwh"].to_numpy(dtype=float).copy()
    order = np.argsort(departure, kind="stable")  # earliest departure first
    arrival, departure, kw, left = arrival[order], departure[order], kw[order], left[order]
    power = np.zeros(n)
    for i in range(n):
        lo, hi = t[i], t[i] + step
        here = np.clip(np.minimum(hi, departure) - np.maximum(lo, arrival), 0.0, None) / 3600.0  # plugged hours
        room = np.minimum(kw * here, left)  # kWh each car can take this step
        if not room.any():
            continue
        after = np.clip(departure - np.maximum(hi, arrival), 0.0, None) / 3600.0
        forced = np.clip(left - kw * after, 0.0, room)  # what no later step could still deliver
        budget = np.inf if not np.isfinite(cap_kw[i]) else max(cap_kw[i] * step / 3600.0 - forced.sum(), 0.0)
        extra = room - forced
        given = forced + np.minimum(extra, np.clip(budget - (np.cumsum(extra) - extra), 0.0, None))
        left -= given
        power[i] = given.sum() * 3600.0 / step
    return power
