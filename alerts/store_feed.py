"""Feeding an alarm engine from a store: the readings that arrived since the last poll, each once.

For a standalone ``zerocarbon alarms run`` beside collectors in other processes (InfluxDB); in one process the
collector hands the engine every reading directly (zerocarbon/alarm_wiring.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd

from alerts.engine import AlarmEngine
from alerts.rule_loader import RuleSet
from models.reading import Quality, Reading
from storage.base import Store


def watched_points(rules: RuleSet) -> list[str]:
    """Every point an engine needs: the rules' targets and the PV checks' weather inputs."""
    ids = {m.info.id for metas in rules.targets.values() for m in metas}
    ids |= {pid for ctx in rules.pv.values() for pid in (ctx.irradiance_id, ctx.module_temperature_id)}
    return sorted(ids)


class StorePoller:
    """Feeds an engine the readings that arrived in a store since the last poll.

    Reads a window reaching ``lookback_s`` back (readings reach the store late through the spool) and skips
    any reading not newer than the last one seen for its point, so nothing is fed twice.
    """

    def __init__(self, store: Store, engine: AlarmEngine, point_ids: Sequence[str], lookback_s: float = 120.0):
        self.store, self.engine, self.point_ids, self.lookback_s = store, engine, list(point_ids), lookback_s
        self._seen: dict[str, float] = {}
        self._since: float | None = None

    def poll(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        start = (self._since if self._since is not None else now) - self.lookback_s
        frame = self.store.read(self.point_ids, _dt(start), _dt(now + 1.0))
        readings = self._new_readings(frame)
        self.engine.put(readings)
        self._since = now
        return len(readings)

    def _new_readings(self, frame: pd.DataFrame) -> list[Reading]:
        out = []
        if frame.empty:
            return out
        stamps = frame["ts"].astype("int64").to_numpy() / 1e9
        for ts, pid, value, quality in zip(stamps, frame["point_id"], frame["value"], frame["quality"], strict=True):
            if ts <= self._seen.get(pid, float("-inf")):
                continue
            self._seen[pid] = ts
            out.append(Reading(pid, float(ts), None if pd.isna(value) else float(value), Quality(quality)))
        out.sort(key=lambda r: r.ts)
        return out


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
