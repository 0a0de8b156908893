"""What instrumentation and the scheduler lease cost: ``python bench/bench_ops.py``.

1. Updating the shared metrics once per batch (``metrics.readings_total.inc(n)`` and friends) against the
   baseline of bumping a plain attribute, both per call.
2. A Prometheus scrape of ``/metrics`` and a ``/health`` request on the loopback health server, with
   200 devices' error counters registered (one label set each).
3. One ``InfluxLease.try_acquire()`` round trip against a real influxd (claim, settle, read back), settle 0.
4. Spool bytes per reading (to size ``ZEROCARBON_SPOOL_MAX_MB`` for a WAN outage), against the ~64 bytes of
   the same reading as InfluxDB line protocol.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.spool import Spool  # noqa: E402
from models.reading import Reading  # noqa: E402
from tests.support.processes import start_influxd  # noqa: E402
from zerocarbon.health import HealthServer, metrics  # noqa: E402
from zerocarbon.scheduler_lock import InfluxLease  # noqa: E402

CALLS = 200_000


class PlainCounters:
    readings = 0
    spool = 0


def per_batch_metrics_ns() -> tuple[float, float]:
    plain = PlainCounters()
    start = time.perf_counter_ns()
    for i in range(CALLS):
        plain.readings += 125
        plain.spool = i
    baseline = (time.perf_counter_ns() - start) / CALLS
    start = time.perf_counter_ns()
    for i in range(CALLS):
        metrics.readings_total.inc(125)
        metrics.spool_depth.set(i)
    instrumented = (time.perf_counter_ns() - start) / CALLS
    return baseline, instrumented


def request_ms(url: str, n: int = 200) -> float:
    with httpx.Client() as client:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            client.get(url).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def lease_ms(n: int = 50) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        influxd = start_influxd(Path(tmp))
        try:
            influxd.create_database("bench_lease")
            lease = InfluxLease(influxd.url, "bench_lease", holder="bench", settle_s=0.0)
            times = []
            for _ in range(n):
                start = time.perf_counter()
                assert lease.try_acquire()
                times.append((time.perf_counter() - start) * 1000)
            lease.close()
            return statistics.median(times)
        finally:
            influxd.stop()


def spool_bytes_per_reading(n: int = 100_000) -> tuple[float, float]:
    """Spool bytes and line-protocol bytes per reading, for realistic point ids and values."""
    readings = [Reading(f"pv-inv-{i % 40:02d}.W", 1_790_000_000.0 + i // 40 * 5, 1234.5 + i % 97) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        spool = Spool(Path(tmp) / "spool")
        for start in range(0, n, 125):
            spool.put(readings[start : start + 125])
        spooled = spool.status()["bytes"] / n
        spool.close()
    line = sum(len(f"r,point={r.point_id} value={r.value} {int(r.ts)}000000000\n") for r in readings) / n
    return spooled, line


def main() -> None:
    baseline, instrumented = per_batch_metrics_ns()
    print(f"metrics per batch (inc + set): {instrumented:.0f} ns vs plain attributes {baseline:.0f} ns "
          f"-> {instrumented / baseline:.1f}x; at 181 readings/s in batches of 125 that is "
          f"{instrumented * 181 / 125 / 1e3:.2f} us of CPU per second")
    for i in range(200):
        metrics.device_errors_total.labels(device=f"dev-{i:03d}", kind="timeout").inc()
    server = HealthServer("bench", port=0)
    try:
        scrape = request_ms(f"{server.url}/metrics")
        health = request_ms(f"{server.url}/health")
        size = len(httpx.get(f"{server.url}/metrics").content)
    finally:
        server.stop()
    print(f"GET /metrics (200 device label sets, {size} bytes): median {scrape:.2f} ms; GET /health: {health:.2f} ms")
    spooled, line = spool_bytes_per_reading()
    print(f"spool: {spooled:.1f} bytes per reading on disk (line protocol of the same readings: {line:.1f}); "
          f"a 24 h outage at 181 readings/s needs {spooled * 181 * 86400 / 1e6:.0f} MB")
    print(f"InfluxLease.try_acquire (settle 0, influxd 1.6 on loopback): median {lease_ms():.2f} ms "
          "(+ settle_s, 500 ms by default)")


if __name__ == "__main__":
    main()
