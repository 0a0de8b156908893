"""Connect services to :mod:`zerocarbon.health` without the lower floors importing it.

``collectors/`` and ``storage/`` may import only ``models/``, so their numbers reach the metrics here, in the
wiring. The collector's counts, spool and store checks are copied by
:func:`zerocarbon.collect_wiring.bridge_health`; this module adds what that bridge cannot see:

    drainer = SpoolDrainer(spool, TimedWriter(store))   # zerocarbon_store_write_seconds
    watch_alarms(alarm_service)                         # open alarms, raised, failed notifications
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from models.reading import Reading, ReadingWriter
from zerocarbon.health import metrics, off_scrape, on_scrape

if TYPE_CHECKING:
    from zerocarbon.alarm_wiring import AlarmService


class TimedWriter:
    """A ReadingWriter that times every store write (success or failure): the store's write latency.

    Readings written and write failures are counted from the drainer by ``bridge_health``, not here."""

    def __init__(self, inner: ReadingWriter) -> None:
        self.inner = inner

    def write(self, readings: Sequence[Reading]) -> None:
        start = time.perf_counter()
        try:
            self.inner.write(readings)
        finally:
            metrics.store_write_seconds.observe(time.perf_counter() - start)


def watch_alarms(service: AlarmService) -> Callable[[], None]:
    """Copy the alarm service into the metrics on every scrape: open alarms (``zerocarbon_alarms_active``,
    ``_unacknowledged``), alarms raised since the last scrape and failed deliveries. Returns the function that
    stops it."""
    # events are counted by their row id: their timestamps are the readings', which may arrive late
    seen = {"event_id": max((e.id for e in service.journal.history(limit=10_000)), default=0), "failed": 0}

    def refresh() -> None:
        alarms = service.journal.active()
        metrics.alarms_active.set(sum(1 for a in alarms if a.state.value.startswith("active")))
        metrics.alarms_unacknowledged.set(sum(1 for a in alarms if a.state.value.endswith("unack")))
        fresh = [e for e in service.journal.history(limit=10_000) if e.id > seen["event_id"]]
        metrics.alarms_raised_total.inc(sum(1 for e in fresh if e.event in ("raised", "re-raised")))
        failed = sum(channel.stats.failed for channel in service.channels)
        metrics.notifications_failed_total.inc(max(0, failed - seen["failed"]))
        seen.update(event_id=max([seen["event_id"], *(e.id for e in fresh)]), failed=failed)

    on_scrape(refresh)
    return lambda: off_scrape(refresh)
