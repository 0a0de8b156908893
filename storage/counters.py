"""Cumulative counter arithmetic: from a meter's register readings to the energy each reading adds.

Pure numpy over one point's good readings, sorted by time. The rules (what auditors ask about):

- **Increment**: energy is the rise of the counter between accepted readings, never the integral of power.
- **Glitch**: a reading that drops and then jumps back to (at least) the level before the drop within
  ``glitch_window_s`` is a bad reading, not a reset: the readings of the dip are rejected and the counter's
  rise from before the dip to the reading that came back is spread over the dip by time (linear), so the
  energy lands in the intervals it belongs to and the jump back is no spike. A lone reading far above both
  neighbours (``100, 9999, 101``) is rejected the same way. This is the "meter reads 0 then jumps back"
  complaint about other systems (Home Assistant's ``total_increasing`` turns it into a spike).
- **Reset**: a drop that does not come back is a reset (meter replaced, register cleared). The counter
  restarted from zero, so the reading after the reset adds its own value, but never more than the largest
  ordinary increment seen in the same readings: a reset never creates a spike.
- **Rollover**: with ``rollover`` given (the register's wrap value in the point's unit), a drop from the upper
  half of the range to the lower half adds ``rollover - before + after`` when that is no more than two
  ordinary steps (otherwise it is a reset), and counts as a reset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACCEPTED, GLITCH, RESET = 0, 1, 2
GLITCH_WINDOW_S = 6 * 3600.0  # longest dip we call a glitch; rollup chunks read this much context either side


@dataclass(frozen=True)
class CounterSteps:
    """Per reading: the energy it adds (point's unit) and what happened (ACCEPTED, GLITCH, RESET)."""

    increment: np.ndarray  # float64, >= 0
    status: np.ndarray  # int8


def counter_steps(
    ts_s: np.ndarray,
    values: np.ndarray,
    *,
    glitch_window_s: float = GLITCH_WINDOW_S,
    rollover: float | None = None,
    known_counter: bool = True,
) -> CounterSteps:
    """Energy added by each reading of one counter (``ts_s`` ascending seconds, ``values`` all finite).
    With ``known_counter=False`` a series that :func:`looks_like_a_gauge` adds nothing."""
    n = len(values)
    values = np.asarray(values, dtype=np.float64)
    ts_s = np.asarray(ts_s, dtype=np.float64)
    status = np.zeros(n, dtype=np.int8)
    if n == 0:
        return CounterSteps(np.zeros(0), status)
    if not known_counter and looks_like_a_gauge(values):
        return CounterSteps(np.zeros(n), status)
    status[_lone_spikes(values)] = GLITCH
    kept = np.flatnonzero(status != GLITCH)
    level, resets = _held_levels(ts_s[kept], values[kept], status, kept, glitch_window_s)
    increment = np.zeros(n)
    increment[kept] = _increments(level, values[kept], resets, rollover)
    status[kept[resets]] = RESET
    return CounterSteps(increment, status)


def looks_like_a_gauge(values: np.ndarray) -> bool:
    """More than 5% of steps going down (and more than 10): power, temperature, not a counter. Stores that were
    not told which points are counters use this to skip judging every wiggle of a gauge as a dip."""
    drops = int(np.count_nonzero(np.diff(values) < -_tolerance(values[:-1]))) if len(values) > 1 else 0
    return drops > max(10, 0.05 * len(values))


def _tolerance(level: np.ndarray | float) -> np.ndarray | float:
    # float32 registers carry ~7 significant digits; smaller wobbles are noise, not drops
    return 1e-9 + 1e-6 * np.abs(level)


def _lone_spikes(v: np.ndarray) -> np.ndarray:
    """Readings above both neighbours where the next one falls back to at least the one before."""
    spike = np.zeros(len(v), dtype=bool)
    if len(v) < 3:
        return spike
    before, here, after = v[:-2], v[1:-1], v[2:]
    tol = _tolerance(here)
    spike[1:-1] = (here > before + tol) & (after < here - tol) & (after >= before - _tolerance(before))
    return spike


def _held_levels(
    ts: np.ndarray, v: np.ndarray, status: np.ndarray, kept: np.ndarray, window_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """The counter level after rejecting dips that come back; and which readings start a new segment (reset)."""
    level = v.copy()
    resets = np.zeros(len(v), dtype=bool)
    drops = np.flatnonzero(np.diff(v) < -_tolerance(v[:-1])) + 1
    seg_start, skip_until = 0, 0
    for j in drops.tolist():  # Python ints: indexes and slice bounds below
        if j < skip_until:
            continue
        ref = level[seg_start:j].max()
        back = _comes_back(ts, v, j, ref, window_s)
        if back is None:
            resets[j] = True
            seg_start = j
        else:
            level[j:back] = _interpolated(ts, ref, j, back, v[back])
            status[kept[j:back]] = GLITCH
            skip_until = back
    return level, resets


def _interpolated(ts: np.ndarray, ref: float, j: int, back: int, back_value: float) -> np.ndarray:
    """Levels for the rejected readings ``j..back-1``: straight from ``ref`` (at the reading before the dip)
    to the reading that came back, by time, so the energy of the dip lands in the intervals it belongs to."""
    t0, t1 = ts[j - 1], ts[back]
    share = (ts[j:back] - t0) / (t1 - t0) if t1 > t0 else np.zeros(back - j)
    return ref + (max(back_value, ref) - ref) * share


def _comes_back(ts: np.ndarray, v: np.ndarray, j: int, ref: float, window_s: float) -> int | None:
    """Index of the first reading after ``j`` within the window that is back at ``ref`` or above."""
    end = int(np.searchsorted(ts, ts[j] + window_s, side="right"))
    later = np.flatnonzero(v[j + 1 : end] >= ref - _tolerance(ref))
    return None if len(later) == 0 else j + 1 + int(later[0])


def _increments(level: np.ndarray, v: np.ndarray, resets: np.ndarray, rollover: float | None) -> np.ndarray:
    segment = np.cumsum(resets)
    running = level.copy()
    for s in np.unique(segment):  # segments are few: one per reset
        part = segment == s
        running[part] = np.maximum.accumulate(level[part])
    inc = np.zeros(len(v))
    if len(v) > 1:
        inc[1:] = np.diff(running)
    inc[resets] = 0.0
    ordinary = inc[~resets]
    cap = float(ordinary.max()) if ordinary.size else 0.0
    for j in np.flatnonzero(resets):
        before = running[j - 1]
        wrapped = None if rollover is None else rollover - before + v[j]
        # a wrap lands in the lower half after the upper half, and adds no more than an ordinary step or two;
        # a meter cleared to 0 high in its range would otherwise add most of the register as a spike
        if wrapped is not None and before >= rollover / 2 > v[j] and 0 <= wrapped <= 2 * cap:  # type: ignore[operator]
            inc[j] = wrapped
        else:
            inc[j] = v[j] if v[j] <= cap else 0.0
    return np.maximum(inc, 0.0)
