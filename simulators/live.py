"""The live site's state at wall-clock time: physics of today at 1-minute steps, interpolated to 'now',
counters integrated as the clock advances, and the value faults (stuck, counter reset, fault state) on top.

Given a plans folder (``<data_dir>/plans``, where ``zerocarbon plan`` writes), the storage units and the EV fleet
follow today's plan (:mod:`models.plan_file`) where it covers the instant and keep their rules elsewhere; a new or
changed plan file is picked up within :data:`PLAN_CHECK_S`, a broken one is logged and the rules run.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

from models.errors import PlanFileError
from models.plan_file import plan_path, read_plan
from models.site import Site
from models.vocabulary import PointKind
from simulators.counters import origin_for
from simulators.device_values import DeviceValues, all_values
from simulators.faults import Fault
from simulators.physics import site_frame
from simulators.registers import Value

STEP_KINDS = {PointKind.STATE, PointKind.FAULT_CODE, PointKind.EVENT_BITFIELD, PointKind.COUNT, PointKind.COUNTER}
SUNSPEC_EVT1 = {  # SunSpec model 103 Evt1 bit numbers
    "GROUND_FAULT": 0, "DC_OVER_VOLT": 1, "AC_DISCONNECT": 2, "DC_DISCONNECT": 3, "GRID_DISCONNECT": 4,
    "CABINET_OPEN": 5, "MANUAL_SHUTDOWN": 6, "OVER_TEMP": 7, "OVER_FREQUENCY": 8, "UNDER_FREQUENCY": 9,
    "AC_OVER_VOLT": 10, "AC_UNDER_VOLT": 11, "BLOWN_STRING_FUSE": 12, "UNDER_TEMP": 13,
}
PLAN_CHECK_S = 5.0  # how often (wall clock) the plans folder is looked at
log = logging.getLogger("simulators.live")
POWER_POINTS = {"W", "VA", "VAr", "A", "AphA", "AphB", "AphC", "DCA", "DCW", "p_kw", "rotor_rpm"}


class LiveState:
    """Thread-safe: the server loop advances it, the MQTT thread and tests read it."""

    def __init__(
        self,
        site: Site,
        seed: int = 0,
        counters: dict[str, float] | None = None,
        counters_at: dict[str, float] | None = None,
        plans: Path | None = None,
    ) -> None:
        """``plans``: the folder of day plans to follow (None: the rules only). ``counters`` (point id -> value),
        each read at ``counters_at[point id]`` (epoch s): the first :meth:`advance` counts from then, as a real
        meter kept counting while nothing read it (keep that gap short: the rate of the first instant covers all
        of it)."""
        self.site = site
        self.seed = seed
        self._lock = threading.RLock()
        self._day: tuple[Any, pd.DatetimeIndex, dict[str, DeviceValues]] | None = None
        self.plans = plans
        self._plan_seen: tuple[float, Any] = (-PLAN_CHECK_S, None)  # (when looked, (ordinal, file stamp))
        self.plan_in_use: str | None = None  # the plan file followed today, for status and tests
        self._step_kinds = {(p.device, p.name) for p in site.points() if p.kind in STEP_KINDS}
        self.counters: dict[str, dict[str, float]] = {}
        self.faults: dict[str, Fault] = {}
        self._frozen: dict[str, dict[str, Value]] = {}
        self._last_ts: float | None = None
        self._counter_at = dict(counters_at or {})
        self.latest: dict[str, dict[str, Value]] = {}
        self._seed_counters(counters or {})

    def _seed_counters(self, given: dict[str, float]) -> None:
        frame_now = self._values_at(pd.Timestamp.now(tz="UTC").timestamp())
        for device_id, (_, rates) in frame_now.items():
            self.counters[device_id] = {
                name: given.get(f"{device_id}.{name}", origin_for(f"{device_id}.{name}", self.seed)) for name in rates
            }

    def _day_values(self, ts: float) -> tuple[pd.DatetimeIndex, dict[str, DeviceValues]]:
        local = pd.Timestamp(ts, unit="s", tz="UTC").tz_convert(self.site.info.timezone)
        key = (local.toordinal(), self._plan_stamp(local))
        if self._day is None or self._day[0] != key:
            start = local.normalize()
            index = pd.date_range(start, periods=24 * 60 + 1, freq="1min").tz_convert("UTC")
            plan = self._plan_of(local)
            self._day = (key, index, all_values(self.site, site_frame(self.site, index, self.seed, plan=plan)))
        return self._day[1], self._day[2]

    def _plan_stamp(self, local: pd.Timestamp) -> Any:
        """The plan file's (mtime, size) for ``local``'s day, looked at most every PLAN_CHECK_S (wall clock)."""
        if self.plans is None:
            return None
        now = time.monotonic()
        looked, seen = self._plan_seen
        if seen is not None and seen[0] == local.toordinal() and now - looked < PLAN_CHECK_S:
            return seen[1]
        try:
            stat = plan_path(self.plans, local.date()).stat()
            stamp: Any = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        self._plan_seen = (now, (local.toordinal(), stamp))
        return stamp

    def _plan_of(self, local: pd.Timestamp) -> pd.DataFrame | None:
        self.plan_in_use = None
        if self.plans is None:
            return None
        try:
            plan = read_plan(self.plans, local.date())
        except PlanFileError as exc:  # the site keeps running on its rules; the log says which file and why
            log.warning("not following the plan: %s", exc)
            return None
        if plan is not None:
            self.plan_in_use = str(plan_path(self.plans, local.date()))
            log.info("following the plan %s (%s)", self.plan_in_use, ", ".join(plan.columns))
        return plan

    def _values_at(self, ts: float) -> dict[str, tuple[dict[str, Value], dict[str, float]]]:
        """Instant values (interpolated, or held for states and counts) and counter rates per device."""
        index, values = self._day_values(ts)
        position = (ts - index[0].timestamp()) / 60.0
        row = min(int(position), len(index) - 2)
        share = min(max(position - row, 0.0), 1.0)
        out = {}
        for device_id, dv in values.items():
            instant: dict[str, Value] = {}
            for name, series in dv.instant.items():
                a, b = float(series[row]), float(series[row + 1])
                instant[name] = a if (device_id, name) in self._step_kinds else a + (b - a) * share
            instant.update(dv.text)
            rates = {name: float(series[row]) for name, series in dv.rates.items()}
            out[device_id] = (instant, rates)
        return out

    def advance(self, ts: float) -> dict[str, dict[str, Value]]:
        """Move the clock to ``ts`` (epoch s), integrate counters, and return every device's point values."""
        with self._lock:
            now = self._values_at(ts)
            step_h = 0.0 if self._last_ts is None else max(ts - self._last_ts, 0.0) / 3600.0
            self._last_ts = ts
            snapshot = {}
            for device_id, (instant, rates) in now.items():
                fault = self.faults.get(device_id)
                if fault is not None and fault.kind == "inverter_fault":
                    instant, rates = self._fault_state(device_id, instant, rates, fault)
                frozen = fault is not None and fault.kind == "stuck"
                if not frozen:
                    for name, rate in rates.items():
                        self.counters[device_id][name] += rate * self._hours_since(device_id, name, ts, step_h)
                values = {**instant, **self.counters.get(device_id, {})}
                if frozen:
                    values = self._frozen.setdefault(device_id, values)
                snapshot[device_id] = values
            self.latest = snapshot
            return snapshot

    def _hours_since(self, device_id: str, name: str, ts: float, step_h: float) -> float:
        """The hours to count: since the previous tick, or once, since the counter's given reading time."""
        at = self._counter_at.pop(f"{device_id}.{name}", None)
        return step_h if at is None else max(ts - at, 0.0) / 3600.0

    def _fault_state(
        self, device_id: str, instant: dict[str, Value], rates: dict[str, float], fault: Fault
    ) -> tuple[dict[str, Value], dict[str, float]]:
        template = self.site.device(device_id).template
        instant = {k: (0.0 if k in POWER_POINTS else v) for k, v in instant.items()}
        events = fault.param("events") or []
        bits = sum(1 << SUNSPEC_EVT1[e] for e in ([events] if isinstance(events, str) else events) if e in SUNSPEC_EVT1)
        if template == "sunspec-inverter":
            instant.update({"St": 7.0, "Evt1": float(bits)})
        elif template == "wind-turbine":
            instant.update({"state": 4.0, "fault_code": float(fault.param("code"))})
        else:
            instant.update({"state": 4.0, "bms_alarms": float(bits or 1 << 2)})
        return instant, {name: 0.0 for name in rates}

    def set_fault(self, device_id: str, fault: Fault) -> None:
        with self._lock:
            self.faults[device_id] = fault
            self._frozen.pop(device_id, None)
            if fault.kind == "counter_reset":  # a meter swapped or reset: counting restarts from zero
                self.counters[device_id] = {name: 0.0 for name in self.counters.get(device_id, {})}

    def clear_fault(self, device_id: str) -> Fault | None:
        with self._lock:
            self._frozen.pop(device_id, None)
            return self.faults.pop(device_id, None)

    def counter_values(self) -> dict[str, float]:
        with self._lock:
            return {f"{d}.{n}": v for d, c in self.counters.items() for n, v in c.items()}

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {d: {"kind": f.kind, **f.params} for d, f in self.faults.items()}

