"""EV charging flexibility for the dispatch LP: the fleet's energy envelope from charging sessions.

A session (the simulator's ``simulators.ev_sessions.SESSION_COLUMNS``: ``arrival``, ``departure``, ``charger_kw``,
``energy_kwh``) may take its energy at any power up to its charger's rating while the car is plugged in. For the
fleet as a whole, with Q_t the energy delivered by the end of quarter hour t (after Lee et al.'s aggregate
flexibility of EV fleets; a relaxation: the fleet total is feasible, a per-charger schedule is then found by
earliest-departure-first):

    0 ≤ v_t ≤ Σ_{sessions plugged during t} charger_kw                 (power)
    Σ_{τ≤t} v_τ Δt ≥ Σ_{sessions that leave by the end of t} energy    (every car gets its energy before it leaves)
    Σ_{τ≤t} v_τ Δt ≤ Σ_{sessions that arrived by the end of t} energy  (no car charges before it arrives)

The unmanaged fleet charges each car at full power from arrival: :func:`unmanaged_kw` is that baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STEP_H = 0.25


@dataclass(frozen=True)
class EvEnvelope:
    max_kw: np.ndarray  # per quarter hour
    must_kwh: np.ndarray  # cumulative energy due by the end of each quarter hour
    may_kwh: np.ndarray  # cumulative energy available (arrived) by the end of each quarter hour

    @property
    def total_kwh(self) -> float:
        return float(self.must_kwh[-1])


def _seconds(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, utc=True).dt.as_unit("ns").astype("int64").to_numpy() / 1e9


def envelope(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> EvEnvelope:
    """The fleet envelope of ``sessions`` on the quarter hours of ``index`` (sessions outside the day are cut:
    a session running past the day's end must finish its energy by then)."""
    t = index.as_unit("ns").asi8 / 1e9
    end = t + STEP_H * 3600.0
    arrival, departure = _seconds(sessions["arrival"]), _seconds(sessions["departure"])
    kw, kwh = sessions["charger_kw"].to_numpy(dtype=float), sessions["energy_kwh"].to_numpy(dtype=float)
    inside = (arrival < end[-1]) & (departure > t[0])
    arrival, departure, kw, kwh = arrival[inside], np.minimum(departure[inside], end[-1]), kw[inside], kwh[inside]
    plugged = (arrival[None, :] < end[:, None]) & (departure[None, :] > t[:, None])
    max_kw = plugged.astype(float) @ kw
    must = (departure[None, :] <= end[:, None]).astype(float) @ kwh
    may = (arrival[None, :] < end[:, None]).astype(float) @ kwh
    return EvEnvelope(max_kw=max_kw, must_kwh=must, may_kwh=may)


def unmanaged_kw(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """Fleet power when every car charges at its charger's rating from arrival until its energy is in (mean kW
    per quarter hour)."""
    t = index.as_unit("ns").asi8 / 1e9
    step = STEP_H * 3600.0
    arrival = _seconds(sessions["arrival"])
    kw, kwh = sessions["charger_kw"].to_numpy(dtype=float), sessions["energy_kwh"].to_numpy(dtype=float)
    done = arrival + np.where(kw > 0, kwh / np.where(kw > 0, kw, 1.0) * 3600.0, 0.0)
    overlap = np.clip(np.minimum(t[:, None] + step, done[None, :]) - np.maximum(t[:, None], arrival[None, :]), 0, None)
    return (overlap / step) @ kw
