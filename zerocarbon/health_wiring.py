"""Connect services to :mod:`zerocarbon.health` without the lower floors importing it.

``collectors/`` and ``storage/`` may import only ``models/``, so their numbers reach the metrics here, in
the wiring: a sink and a writer that count as readings pass, and a bridge that copies the collector's
status snapshot into gauges, counters and health checks on every scrape::

    sink = CountingSink(spool)                      # zerocarbon_readings_total, _bad_total
    drainer = SpoolDrainer(spool, TimedWriter(store))   # zerocarbon_store_write_seconds, _written_total
    serve_health(settings, "collector")
    watch_collector(collection.service.status)      # spool depth, devices, device errors; spool/store checks
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from models.reading import Quality, Reading, ReadingSink, ReadingWriter
from zerocarbon.health import checks, metrics, on_scrape

# A spool older than this means the store has not taken readings for a while: worth a look, not a restart.
STALE_SPOOL_S = 300.0


class CountingSink:
    """A ReadingSink that counts readings (and the bad ones) before handing them on."""

    def __init__(self, inner: ReadingSink) -> None:
        self.inner = inner

    def put(self, readings: Sequence[Reading]) -> None:
        self.inner.put(readings)
        metrics.readings_total.inc(len(readings))
        bad = sum(1 for r in readings if r.quality is not Quality.GOOD)
        if bad:
            metrics.readings_bad_total.inc(bad)


class TimedWriter:
    """A ReadingWriter that times every store write and counts what became durable and what failed."""

    def __init__(self, inner: ReadingWriter) -> None:
        self.inner = inner

    def write(self, readings: Sequence[Reading]) -> None:
        start = time.perf_counter()
        try:
            self.inner.write(readings)
        except Exception:
            metrics.store_write_errors_total.inc()
            raise
        finally:
            metrics.store_write_seconds.observe(time.perf_counter() - start)
        metrics.readings_written_total.inc(len(readings))


class CollectorStatusBridge:
    """Copies ``CollectorService.status()`` (with its ``spool`` and ``store`` parts) into the metrics."""

    def __init__(self, status: Callable[[], dict[str, Any]]) -> None:
        self._status = status
        self._failed_seen: dict[str, int] = {}
        self.last: dict[str, Any] = {}
        self.error = ""

    def refresh(self) -> None:
        try:
            status = self._status()
        except Exception as exc:
            self.error = f"collector status unavailable: {type(exc).__name__}: {exc}"
            raise
        self.last, self.error = status, ""
        spool = status.get("spool") or {}
        metrics.spool_depth.set(spool.get("depth") or 0)
        metrics.spool_bytes.set(spool.get("bytes") or 0)
        devices = status.get("devices") or []
        metrics.devices_assigned.set(sum(1 for d in devices if d.get("protocol") == "modbus"))
        for device in devices:
            failed = int(device.get("failed_cycles") or 0)
            new = failed - self._failed_seen.get(device["device"], 0)
            if new > 0:  # failed_cycles is cumulative in the snapshot; the counter takes the increase
                kind = device.get("state") if device.get("state") in ("comm_loss", "device_error") else "error"
                metrics.device_errors_total.labels(device=device["device"], kind=kind).inc(new)
            self._failed_seen[device["device"]] = failed

    def spool_check(self) -> tuple[bool, str]:
        if self.error:
            return False, self.error
        spool = self.last.get("spool") or {}
        age = spool.get("age_s") or 0.0
        ok = not spool.get("alarm") and age < STALE_SPOOL_S
        return ok, f"{spool.get('depth', 0)} readings waiting, oldest {age:.0f} s, {spool.get('dropped', 0)} dropped"

    def store_check(self) -> tuple[bool, str]:
        store = self.last.get("store") or {}
        if store.get("store_ok", True):
            return True, f"{store.get('written', 0)} readings written"
        return False, f"store refusing writes: {store.get('last_store_error') or 'unknown error'}"


def watch_collector(status: Callable[[], dict[str, Any]]) -> CollectorStatusBridge:
    """Feed the collector's status into /metrics and the ``spool`` and ``store`` checks of /health."""
    bridge = CollectorStatusBridge(status)
    on_scrape(bridge.refresh)
    checks.add("spool", bridge.spool_check)
    checks.add("store", bridge.store_check)
    return bridge


def watch_alarms(active: Callable[[], Sequence[Any]]) -> None:
    """Copy the journal's open alarms into ``zerocarbon_alarms_active`` and ``_unacknowledged`` on every scrape.

    ``active`` is ``AlarmJournal.active``; alarms are counted by their state's value so this module stays free
    of ``alerts/`` types.
    """

    def refresh() -> None:
        alarms = active()
        metrics.alarms_active.set(sum(1 for a in alarms if str(a.state).startswith("active")))
        metrics.alarms_unacknowledged.set(sum(1 for a in alarms if str(a.state).endswith("unack")))

    on_scrape(refresh)
