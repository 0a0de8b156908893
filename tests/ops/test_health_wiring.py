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


def test_open_alarms_reach_the_metrics(tmp_path: Path) -> None:
    from alerts.journal import AlarmJournal

    journal = AlarmJournal(tmp_path / "alarms.sqlite")
    server = HealthServer("alerts", port=0)
    try:
        states = ("active_unack", "active_ack", "cleared_unack")
        stop = watch_alarms(lambda: [type("A", (), {"state": s})() for s in states])
        httpx.get(f"{server.url}/metrics", timeout=5)
        assert metrics.value("zerocarbon_alarms_active") == 2
        assert metrics.value("zerocarbon_alarms_unacknowledged") == 2
        stop()
        stop = watch_alarms(journal.active)  # the real journal, empty
        httpx.get(f"{server.url}/metrics", timeout=5)
        assert metrics.value("zerocarbon_alarms_active") == 0
        stop()
    finally:
        server.stop()
        journal.close()
