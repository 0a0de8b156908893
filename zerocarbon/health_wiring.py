"""Connect services to :mod:`zerocarbon.health` without the lower floors importing it.

``collectors/`` and ``storage/`` may import only ``models/``, so their numbers reach the metrics here, in the
wiring. The collector's counts, spool and store checks are copied by
:func:`zerocarbon.collect_wiring.bridge_health`; this module adds what that bridge cannot see:

    drainer = SpoolDrainer(spool, TimedWriter(store))   # zerocarbon_store_write_seconds
    watch_alarms(journal.active)                        # zerocarbon_alarms_active, _unacknowledged
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from models.reading import Reading, ReadingWriter
from zerocarbon.health import metrics, off_scrape, on_scrape


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


def watch_alarms(active: Callable[[], Sequence[Any]]) -> Callable[[], None]:
    """Copy the journal's open alarms into ``zerocarbon_alarms_active`` and ``_unacknowledged`` on every scrape.

    ``active`` is ``AlarmJournal.active``; alarms are counted by their state's value so this module stays free
    of ``alerts/`` types. Returns the function that stops it.
    """

    def refresh() -> None:
        alarms = active()
        metrics.alarms_active.set(sum(1 for a in alarms if str(a.state).startswith("active")))
        metrics.alarms_unacknowledged.set(sum(1 for a in alarms if str(a.state).endswith("unack")))

    on_scrape(refresh)
    return lambda: off_scrape(refresh)
