"""The wiring that feeds the health server from the collector: a real spool, a real store, a real scrape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collectors.spool import Spool, SpoolDrainer
from models.errors import StoreError
from models.reading import Quality, Reading
from storage.duckdb_store import DuckDBStore
from storage.influx_store import InfluxStore
from tests.support.processes import Influxd
from zerocarbon.health import HealthServer, checks, metrics, off_scrape
from zerocarbon.health_wiring import CountingSink, TimedWriter, watch_collector

NOW = time.time()  # the spool check looks at the age of the oldest reading
READINGS = [
    Reading("grid-meter-1.p_kw", NOW, 512.5),
    Reading("grid-meter-1.import_kwh", NOW, 1_000_000.0),
    Reading("pv-inv-03.W", NOW, None, Quality.COMM_LOSS),
]


def test_counting_sink_counts_readings_and_bad_ones_into_a_real_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    try:
        before = metrics.value("zerocarbon_readings_total"), metrics.value("zerocarbon_readings_bad_total")
        CountingSink(spool).put(READINGS)
        after = metrics.value("zerocarbon_readings_total"), metrics.value("zerocarbon_readings_bad_total")
        assert (after[0] - before[0], after[1] - before[1]) == (3, 1)  # 3 readings, the comm-loss one is bad
        assert spool.status()["depth"] == 3
    finally:
        spool.close()


def test_timed_writer_times_store_writes_and_counts_failures(tmp_path: Path, fresh_influxd: Influxd) -> None:
    store = DuckDBStore(tmp_path / "z.duckdb")
    count = "zerocarbon_store_write_seconds_count"
    before = {
        k: metrics.value(k) for k in (count, "zerocarbon_readings_written_total", "zerocarbon_store_write_errors_total")
    }
    try:
        TimedWriter(store).write(READINGS)
    finally:
        store.close()
    dead = InfluxStore(fresh_influxd.url, "zerocarbon", timeout_s=2.0)
    fresh_influxd.kill()  # the store goes away under the collector
    with pytest.raises(StoreError):
        TimedWriter(dead).write(READINGS)
    dead.close()
    delta = {k: metrics.value(k) - v for k, v in before.items()}
    assert delta == {count: 2, "zerocarbon_readings_written_total": 3, "zerocarbon_store_write_errors_total": 1}


@pytest.fixture
def collector_health(tmp_path: Path) -> Iterator[tuple[HealthServer, dict[str, Any], Spool]]:
    spool = Spool(tmp_path / "spool")
    devices: dict[str, Any] = {"devices": [
        {"device": "pv-inv-03", "protocol": "modbus", "state": "comm_loss", "failed_cycles": 2},
        {"device": "grid-meter-1", "protocol": "modbus", "state": "ok", "failed_cycles": 0},
        {"device": "chiller-plant", "protocol": "mqtt", "state": "ok"},
    ], "store": {"store_ok": True, "written": 0, "store_failures": 0, "last_store_error": ""}}  # fmt: skip
    bridge = watch_collector(lambda: {**devices, "spool": spool.status()})
    server = HealthServer("collector", port=0)
    yield server, devices, spool
    server.stop()
    off_scrape(bridge.refresh)
    checks.remove("spool")
    checks.remove("store")
    spool.close()


def test_collector_status_reaches_metrics_and_health(
    collector_health: tuple[HealthServer, dict[str, Any], Spool],
) -> None:
    server, status, spool = collector_health
    errors = {"device": "pv-inv-03", "kind": "comm_loss"}
    before = metrics.value("zerocarbon_device_errors_total", errors)
    spool.put(READINGS)
    httpx.get(f"{server.url}/metrics", timeout=5)
    assert metrics.value("zerocarbon_spool_depth_readings") == 3
    assert metrics.value("zerocarbon_devices_assigned") == 2  # the Modbus ones; MQTT is shared by all shards
    status["devices"][0]["failed_cycles"] = 5
    health = httpx.get(f"{server.url}/health", timeout=5)
    # cumulative failed_cycles 2 then 5: the counter rose by 5 in all, not 2 + 5
    assert metrics.value("zerocarbon_device_errors_total", errors) - before == 5
    assert health.status_code == 200 and health.json()["checks"]["spool"]["detail"].startswith("3 readings waiting")
    status["store"] = {"store_ok": False, "written": 0, "last_store_error": "InfluxDB at http://influxdb:8086: 401"}
    failing = httpx.get(f"{server.url}/health", timeout=5)
    assert failing.status_code == 503
    assert failing.json()["checks"]["store"] == {
        "ok": False, "detail": "store refusing writes: InfluxDB at http://influxdb:8086: 401"
    }  # fmt: skip


def test_drained_spool_shows_in_metrics(
    tmp_path: Path, collector_health: tuple[HealthServer, dict[str, Any], Spool]
) -> None:
    server, _, spool = collector_health
    store = DuckDBStore(tmp_path / "z.duckdb")
    drainer = SpoolDrainer(spool, TimedWriter(store), idle_s=0.05)
    spool.put(READINGS)
    drainer.start()
    try:
        deadline = time.monotonic() + 20
        while spool.status()["depth"] and time.monotonic() < deadline:
            time.sleep(0.05)
        httpx.get(f"{server.url}/metrics", timeout=5)
        assert metrics.value("zerocarbon_spool_depth_readings") == 0
    finally:
        drainer.stop(5.0)
        store.close()


def test_a_status_that_cannot_be_read_fails_the_spool_check() -> None:
    def broken() -> dict[str, Any]:
        raise OSError("status/collector.json: No such file or directory")

    bridge = watch_collector(broken)
    server = HealthServer("collector", port=0)
    try:
        r = httpx.get(f"{server.url}/health", timeout=5)
        assert r.status_code == 503
        assert r.json()["checks"]["spool"]["detail"] == (
            "collector status unavailable: OSError: status/collector.json: No such file or directory"
        )
    finally:
        server.stop()
        off_scrape(bridge.refresh)
        checks.remove("spool")
        checks.remove("store")
