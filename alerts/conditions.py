"""Alarm conditions: from one reading (or the passing of time) to "condition present?" for one source.

Each checker answers ``True``/``False``, or ``None`` when the reading says nothing (no value). They keep
their memory (previous value, last good time) on the :class:`AlarmSource`, so the engine's per-reading work is
one dictionary lookup plus one small call per rule watching that point. Deadband (hysteresis) lives here;
on/off delays live in the engine, because they need the clock as well as the readings.
"""

from __future__ import annotations

from typing import Any

from alerts.rule_loader import PointMeta, PvContext
from alerts.rules import (
    Bitfield,
    FaultCode,
    Flatline,
    High,
    Low,
    RateOfChange,
    Rule,
    Stale,
    StateIs,
    Underperformance,
)
from models.reading import Quality, Reading


class AlarmSource:
    """One rule watching one point: the unit that raises at most one open alarm at a time."""

    __slots__ = ("key", "rule", "meta", "cond", "raw", "active", "since", "value", "memo", "pending")

    def __init__(self, rule: Rule, meta: PointMeta, cond: Checker) -> None:
        self.key = f"{rule.id}:{meta.info.id}"
        self.rule = rule
        self.meta = meta
        self.cond = cond
        self.raw = False  # condition as last evaluated (after deadband)
        self.active = False  # condition after on/off delays: what the journal was told
        self.since: float | None = None  # when raw started to differ from active (delay timer)
        self.value: float | None = None
        self.memo: Any = None  # checker's own memory (previous reading, last good time, ...)
        self.pending = False


class Checker:
    timed = False  # True: also evaluated on tick (the absence of readings is the condition)

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        raise NotImplementedError

    def tick(self, s: AlarmSource, now: float) -> bool | None:
        return None

    def describe(self, s: AlarmSource) -> str:
        return f"{s.meta.info.id} = {_fmt(s.value, s.meta.info.unit)}"


class HighChecker(Checker):
    def __init__(self, c: High) -> None:
        self.limit, self.reset = c.limit, c.limit - c.deadband

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        v = r.value
        if v is None:
            return None
        s.value = v
        return v > (self.reset if s.raw else self.limit)

    def describe(self, s: AlarmSource) -> str:
        return f"{super().describe(s)} (high limit {self.limit:g})"


class LowChecker(Checker):
    def __init__(self, c: Low) -> None:
        self.limit, self.reset = c.limit, c.limit + c.deadband

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        v = r.value
        if v is None:
            return None
        s.value = v
        return v < (self.reset if s.raw else self.limit)

    def describe(self, s: AlarmSource) -> str:
        return f"{super().describe(s)} (low limit {self.limit:g})"


class RateChecker(Checker):
    def __init__(self, c: RateOfChange) -> None:
        self.max_per_minute = c.max_per_minute

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        v = r.value
        if v is None:
            return None
        previous = s.memo
        if previous is not None and r.ts <= previous[0]:
            return None  # out of order or repeated: no rate to speak of
        rate = abs(v - previous[1]) / (r.ts - previous[0]) * 60.0 if previous is not None else 0.0
        s.value, s.memo = v, (r.ts, v, rate)
        if previous is None:
            return None
        return rate > self.max_per_minute

    def describe(self, s: AlarmSource) -> str:
        rate = s.memo[2] if s.memo else 0.0
        unit = s.meta.info.unit
        return f"{s.meta.info.id} changing {rate:.3g} {unit}/min (limit {self.max_per_minute:g} {unit}/min)".strip()


class StaleChecker(Checker):
    """Comm loss: memo is the time of the last good reading (or of the first tick, if none came yet)."""

    timed = True

    def __init__(self, c: Stale, interval_s: float) -> None:
        self.limit_s = c.intervals * interval_s

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.quality is Quality.COMM_LOSS:
            return True
        if r.value is None:
            return None
        s.value, s.memo = r.value, r.ts
        return False

    def tick(self, s: AlarmSource, now: float) -> bool | None:
        if s.memo is None:
            s.memo = now  # watching starts now: a device dead from the start is stale after the limit
            return None
        return True if now - s.memo > self.limit_s else None

    def describe(self, s: AlarmSource) -> str:
        return f"{s.meta.info.id}: no data from {s.meta.info.device} (comm loss; limit {self.limit_s:g} s)"


class FlatlineChecker(Checker):
    """Stuck sensor: memo is (reference value, since when it has held within tolerance)."""

    def __init__(self, c: Flatline) -> None:
        self.for_s, self.tolerance, self.judge_above = c.for_s, c.tolerance, c.judge_above

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        v = r.value
        if r.quality is Quality.STALE:
            return True
        if v is None:
            return None
        s.value = v
        if self.judge_above is not None and v <= self.judge_above:
            s.memo = None  # e.g. night: flat by nature, and the clock restarts at sunrise
            return False
        if s.memo is None or abs(v - s.memo[0]) > self.tolerance:
            s.memo = (v, r.ts)
            return False
        return r.ts - s.memo[1] >= self.for_s

    def describe(self, s: AlarmSource) -> str:
        return f"{s.meta.info.id} stuck at {_fmt(s.value, s.meta.info.unit)} for at least {self.for_s:g} s"


class StateChecker(Checker):
    def __init__(self, c: StateIs, meta: PointMeta) -> None:
        self.codes = {code for code, name in meta.states.items() if name in c.states}
        self.names = meta.states

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.value is None:
            return None
        s.value = r.value
        return int(r.value) in self.codes

    def describe(self, s: AlarmSource) -> str:
        code = int(s.value or 0)
        return f"{s.meta.info.id} state {self.names.get(code, code)}"


class BitfieldChecker(Checker):
    def __init__(self, c: Bitfield, meta: PointMeta) -> None:
        self.flags = {bit: name for bit, name in meta.flags.items() if not c.flags or name in c.flags}
        self.mask = sum(1 << bit for bit in self.flags)

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.value is None:
            return None
        s.value = r.value
        return int(r.value) & self.mask != 0

    def describe(self, s: AlarmSource) -> str:
        bits = int(s.value or 0)
        names = [name for bit, name in sorted(self.flags.items()) if bits >> bit & 1]
        return f"{s.meta.info.id}: {', '.join(names) or 'no flags'} (0x{bits:04X})"


class FaultCodeChecker(Checker):
    def __init__(self, c: FaultCode, meta: PointMeta) -> None:
        self.normal = set(c.normal)
        self.names = meta.states

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.value is None:
            return None
        s.value = r.value
        return int(r.value) not in self.normal

    def describe(self, s: AlarmSource) -> str:
        code = int(s.value or 0)
        name = f" ({self.names[code]})" if code in self.names else ""
        return f"{s.meta.info.id}: fault code {code}{name}"


class WeatherInput(Checker):
    """Not an alarm: keeps the latest irradiance or module temperature for the underperformance checks."""

    def __init__(self, weather: dict[str, tuple[float, float]]) -> None:
        self.weather = weather

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.value is not None and r.quality.is_good:
            self.weather[r.point_id] = (r.ts, r.value)
        return None


def _fmt(value: float | None, unit: str) -> str:
    return "no value" if value is None else f"{value:.6g} {unit}".strip()


def make_checker(rule: Rule, meta: PointMeta, pv: PvContext | None, weather: dict[str, tuple[float, float]]) -> Checker:
    """The checker for one rule on one point (checkers with per-point tables are built per point)."""
    c = rule.condition
    if isinstance(c, High):
        return HighChecker(c)
    if isinstance(c, Low):
        return LowChecker(c)
    if isinstance(c, RateOfChange):
        return RateChecker(c)
    if isinstance(c, Stale):
        return StaleChecker(c, meta.info.interval_s)
    if isinstance(c, Flatline):
        return FlatlineChecker(c)
    if isinstance(c, StateIs):
        return StateChecker(c, meta)
    if isinstance(c, Bitfield):
        return BitfieldChecker(c, meta)
    if isinstance(c, FaultCode):
        return FaultCodeChecker(c, meta)
    if isinstance(c, Underperformance) and pv is not None:
        from alerts.pv_expectation import UnderperformanceChecker  # only when a rule needs it

        return UnderperformanceChecker(c, pv, weather)
    raise ValueError(f"rule {rule.id!r}: no checker for {c!r} on {meta.info.id}")
