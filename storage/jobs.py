"""The scheduled storage job: bring rollups current after new, late or backfilled data, then apply retention.

A plain function of a store, so any scheduler (APScheduler in ``zerocarbon run``, a cron line, a test) can
call it. Under APScheduler's AsyncIOScheduler a sync job runs in a worker thread (research note §8), which
the stores allow: DuckDB gives each thread its own cursor, InfluxDB is plain HTTP.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from models.errors import StoreError
from storage.base import RollupMaintainer

log = logging.getLogger(__name__)
RETENTION_EVERY_S = 3600.0
_last_retention: dict[int, float] = {}


def rollup_job(store: RollupMaintainer, now: datetime | None = None) -> None:
    """Rebuild pending rollups; at most hourly, delete data past its retention. Logs and survives store errors
    (the next run retries: the pending ranges stay until their rollups are written)."""
    started = time.monotonic()
    try:
        store.update_rollups()
        if time.monotonic() - _last_retention.get(id(store), -1e18) >= RETENTION_EVERY_S:
            store.apply_retention(now or datetime.now(UTC))
            _last_retention[id(store)] = time.monotonic()
    except StoreError as exc:
        log.warning("storage: rollup job failed, will retry next run: %s", exc)
        return
    log.debug("storage: rollups current in %.2f s", time.monotonic() - started)
