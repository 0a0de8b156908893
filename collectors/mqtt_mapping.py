"""From an MQTT message to readings: topic routes, JSON fields, payload time, and the dead-letter file.

Pure mapping, no network: :class:`collectors.mqtt.MqttCollector` calls it for each message.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors.jsonpath import compile_path, lookup
from models.reading import Quality, Reading, point_id
from models.site import Device
from models.template import MqttPoint, MqttTemplate
from models.vocabulary import PointKind

log = logging.getLogger("collectors.mqtt")  # one logger for the MQTT side: dead letters are its warnings

DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024
DEAD_PAYLOAD_MAX_BYTES = 4096  # raw bytes kept per dead letter: enough to see what a gateway sent
MAX_AHEAD_S = 600.0  # a payload time more than 10 min ahead of ours is a gateway clock, not a measurement
MAX_AGE_DAYS = 400.0  # = raw retention (ZEROCARBON_RETENTION_RAW_DAYS): older would be deleted at once


class Route:
    """How one device's topic becomes readings."""

    def __init__(self, device: Device, template: MqttTemplate) -> None:
        self.device = device.id
        self.template = template
        self.ts_path = compile_path(template.timestamp_path) if template.timestamp_path else None
        self.fields = [(point_id(device.id, p.name), compile_path(p.path), p) for p in template.points]


@dataclass(frozen=True)
class TimestampWindow:
    """Payload times accepted, relative to the receive time: at most ``ahead_s`` ahead, at most ``max_age_s``
    old (None: any age)."""

    ahead_s: float = MAX_AHEAD_S
    max_age_s: float | None = MAX_AGE_DAYS * 86400

    def problem(self, ts: float, received: float) -> tuple[str, str] | None:
        if ts > received + self.ahead_s:
            return "timestamp_in_future", f"{ts - received:.0f} s ahead of the receive time (> {self.ahead_s:.0f} s)"
        if self.max_age_s is not None and ts < received - self.max_age_s:
            age_days = (received - ts) / 86400
            return "timestamp_too_old", f"{age_days:.0f} days old (> {self.max_age_s / 86400:.0f} days kept)"
        return None


class DeadLetters:
    """Append-only JSON lines ``{ts, topic, kind, detail, payload_bytes, payload_b64}`` (the first
    :data:`DEAD_PAYLOAD_MAX_BYTES` of the payload); one rotation keeps the file bounded."""

    def __init__(self, path: Path | None, max_bytes: int = DEAD_LETTER_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, topic: str, kind: str, detail: str, payload: bytes) -> None:
        with self._lock:
            self.counts[kind] += 1
            if self.counts[kind] == 1:
                log.warning("dead letter (%s) on %s: %s; more of this kind are logged at DEBUG", kind, topic, detail)
            else:
                log.debug("dead letter (%s) on %s: %s", kind, topic, detail)
            if self.path is None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > self.max_bytes:
                self.path.replace(self.path.with_suffix(self.path.suffix + ".1"))
            row = {"ts": time.time(), "topic": topic, "kind": kind, "detail": detail[:500],
                   "payload_bytes": len(payload),
                   "payload_b64": base64.b64encode(payload[:DEAD_PAYLOAD_MAX_BYTES]).decode()}
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


_ISO = re.compile(r"^\d{4}-\d\d-\d\d[T ]")


def parse_timestamp(raw: Any) -> float | None:
    """Epoch seconds (or milliseconds, when implausibly large) or an ISO 8601 string with zone."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float) and math.isfinite(raw):
        return raw / 1000.0 if raw > 1e11 else float(raw)
    if isinstance(raw, str) and _ISO.match(raw):
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.timestamp() if parsed.tzinfo else None
    return None


def map_fields(route: Route, data: dict[str, Any], ts: float) -> tuple[list[Reading], list[tuple[str, str]]]:
    """Readings of one payload's fields, and the (kind, detail) of each bad field. A value outside its
    point's ``range`` is kept with quality ``suspect``."""
    readings: list[Reading] = []
    problems: list[tuple[str, str]] = []
    for pid, path, point in route.fields:
        raw = lookup(data, path)
        value, problem = _value(point, raw)
        if problem:
            problems.append((problem, f"{point.path}={raw!r}"[:200]))
            readings.append(Reading(pid, ts, None, Quality.BAD_PAYLOAD))
        elif point.range is not None and point.out_of_range(value):  # type: ignore[arg-type]
            readings.append(Reading(pid, ts, value, Quality.SUSPECT))
        else:
            readings.append(Reading(pid, ts, value))
    return readings, problems


def _value(point: MqttPoint, raw: Any) -> tuple[float | None, str]:
    """A field's number; booleans only on status (``kind: state``) points, text only as a named state."""
    if raw is None:
        return None, "missing_field"
    if isinstance(raw, str) and raw in point.states:
        return point.states[raw], ""
    if isinstance(raw, bool):
        return (float(raw), "") if point.kind is PointKind.STATE else (None, "wrong_type")
    if not isinstance(raw, int | float):
        return None, "wrong_type"
    try:
        value = raw * point.scale + point.offset
    except OverflowError:  # an integer beyond a double
        return None, "not_finite"
    if not math.isfinite(value):
        return None, "not_finite"
    return float(value), ""
