"""Cumulative counters as the integral of power: energy registers, trips, charging sessions.

A counter's reading at row i holds everything delivered before row i (left Riemann sum), so the difference of
two readings is exactly the energy of the rows between them and the site's energy balance closes to rounding.
"""

from __future__ import annotations

import numpy as np

# Where a meter's counter starts on the first simulated instant: a meter installed years ago, not a new one.
DEFAULT_ORIGIN = 1000.0


def integrate(rate_per_h: np.ndarray, step_h: float, origin: float) -> tuple[np.ndarray, float]:
    """(counter at each row, counter after the last row) for a rate in units per hour."""
    increments = np.asarray(rate_per_h, dtype=float) * step_h
    total = np.cumsum(increments)
    readings = origin + np.concatenate(([0.0], total[:-1])) if len(total) else np.array([])
    return readings, origin + (float(total[-1]) if len(total) else 0.0)


def origin_for(point: str, seed: int) -> float:
    """A reproducible starting value per counter (so counters of different meters differ)."""
    rng = np.random.default_rng([seed, sum(map(ord, point)), len(point)])
    return float(DEFAULT_ORIGIN * (1 + np.floor(rng.random() * 100)))
