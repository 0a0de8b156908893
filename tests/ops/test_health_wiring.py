"""What the health wiring adds beside the collector's own bridge (tests/collectors/test_wiring.py):
store write latency and open alarms, on a real store and a real journal."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from models.errors import StoreError
from models.reading import Quality, Reading
from storage.duckdb_store import DuckDBStore
from storage.influx_store import InfluxStore
from tests.support.processes import Influxd
from zerocarbon.health import HealthServer, metrics
from zerocarbon.health_wiring import TimedWriter, watch_alarms

NOW = time.time()
READINGS = [
    Reading("grid-meter-1.p_kw", NOW, 512.5),
    Reading("grid-meter-1.import_kwh", NOW, 1_000_000.0),
    Reading("pv-inv-03.W", NOW, None, Quality.COMM_LOSS),
]


def test_timed_writer_times_every_store_write_and_passes_failures_on(tmp_path: Path, fresh_influxd: Influxd) -> None:
    count = "zerocarbon_store_write_seconds_count"
    before = metrics.value(count)
    store = DuckDBStore(tmp_path / "z.duckdb")
    try:
        TimedWriter(store).write(READINGS)
        assert len(store.latest()) == 3  # the write itself went through
    finally:
        store.close()
    dead = InfluxStore(fresh_influxd.url, "zerocarbon", timeout_s=2.0)
    fresh_influxd.kill()  # the store goes away under the collector
    with pytest.raises(StoreError):
        TimedWriter(dead).write(READINGS)
    dead.close()
    assert metrics.value(count) - before == 2  # a failed write is timed too


def test_alarm_service_reaches_the_metrics(tmp_path: Path) -> None:
    """Open and raised alarms from a real journal, failed deliveries from the channels' own counters."""
    from types import SimpleNamespace

    from alerts.journal import AlarmJournal
    from zerocarbon.alarm_wiring import AlarmService

    journal = AlarmJournal(tmp_path / "alarms.sqlite")
    channel = SimpleNamespace(stats=SimpleNamespace(failed=0))
    service = AlarmService(engine=None, journal=journal, channels=[channel])  # type: ignore[arg-type,list-item]
    server = HealthServer("alerts", port=0)
    raised = metrics.value("zerocarbon_alarms_raised_total")
    failed = metrics.value("zerocarbon_notifications_failed_total")
    stop = watch_alarms(service)
    try:
        now = time.time() + 1
        journal.condition_raised("pv-inv-03.St/fault", "inv-fault", "pv-inv-03.St", "high", "FAULT", 7.0, now)
        journal.condition_raised("storage-1.soc/low", "soc-low", "storage-1.soc_pct", "medium", "low", 4.0, now)
        journal.condition_raised("pv-inv-03.St/fault", "inv-fault", "pv-inv-03.St", "high", "FAULT", 7.0, now)
        channel.stats.failed = 2
        httpx.get(f"{server.url}/metrics", timeout=5)
        assert metrics.value("zerocarbon_alarms_active") == 2
        assert metrics.value("zerocarbon_alarms_unacknowledged") == 2
        assert metrics.value("zerocarbon_alarms_raised_total") - raised == 2  # the repeat made no new alarm
        assert metrics.value("zerocarbon_notifications_failed_total") - failed == 2
        httpx.get(f"{server.url}/metrics", timeout=5)  # a second scrape counts nothing twice
        assert metrics.value("zerocarbon_alarms_raised_total") - raised == 2
        assert metrics.value("zerocarbon_notifications_failed_total") - failed == 2
    finally:
        stop()
        server.stop()
        journal.close()
