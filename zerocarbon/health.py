"""Health and Prometheus metrics for every long-running service: one tiny HTTP server per process.

- ``GET /health``: JSON ``{"service", "status": "ok"|"failing", "uptime_s", "version", "checks", "summary"}``;
  HTTP 200 when every registered check passes, 503 otherwise (what Docker and a load balancer look at).
- ``GET /metrics``: Prometheus text exposition of :data:`metrics` (scraped by Prometheus or VictoriaMetrics).

Services update the shared instruments and register checks; they never build their own server::

    from zerocarbon.health import checks, metrics
    metrics.readings_total.inc(len(batch))
    metrics.spool_depth.set(spool.depth)
    with metrics.store_write_seconds.time(): writer.write(batch)
    checks.add("spool", lambda: (spool.depth < limit, f"{spool.depth} readings waiting"))

and the command starts the server once: ``serve_health(settings, "collector")`` (off unless
``ZEROCARBON_HEALTH_PORT`` is set). ``python -m zerocarbon.health`` probes it (the container health check).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from zerocarbon.settings import Settings

log = logging.getLogger(__name__)

# Store writes are batched: a healthy InfluxDB answers a 5000-point POST in ~10 ms (research/feasibility.md §2.4),
# an outage makes them time out after seconds; the buckets span both.
WRITE_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CheckResult = bool | tuple[bool, str]


class Metrics:
    """The platform's instruments, in a registry of their own (re-importing never double-registers)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.build = Info("zerocarbon_build", "Version and service of this process", registry=r)
        # readings/s is rate(zerocarbon_readings_total[1m]) in PromQL
        self.readings_total = Counter("zerocarbon_readings", "Readings collected and handed to the spool", registry=r)
        self.readings_bad_total = Counter(
            "zerocarbon_readings_bad", "Readings collected with a quality other than good", registry=r
        )
        self.readings_written_total = Counter(
            "zerocarbon_readings_written", "Readings durable in the store", registry=r
        )
        self.spool_depth = Gauge("zerocarbon_spool_depth_readings", "Readings waiting in the spool", registry=r)
        self.spool_bytes = Gauge("zerocarbon_spool_bytes", "Bytes the spool holds on disk", registry=r)
        self.device_errors_total = Counter(
            "zerocarbon_device_errors",
            "Failed device reads, by device and kind (timeout, exception, decode, payload)",
            ["device", "kind"],
            registry=r,
        )
        self.readings_suspect_total = Counter(
            "zerocarbon_readings_suspect",
            "Readings outside their point's plausible range (stored with quality suspect), by device",
            ["device"],
            registry=r,
        )
        self.dead_letters_total = Counter(
            "zerocarbon_dead_letters", "Rejected MQTT payloads, by kind (docs/collectors.md)", ["kind"], registry=r
        )
        self.devices_assigned = Gauge("zerocarbon_devices_assigned", "Devices this collector (shard) polls", registry=r)
        self.store_write_seconds = Histogram(
            "zerocarbon_store_write_seconds",
            "Latency of one batch write to the store",
            buckets=WRITE_LATENCY_BUCKETS_S,
            registry=r,
        )
        self.store_write_errors_total = Counter("zerocarbon_store_write_errors", "Failed store writes", registry=r)
        self.alarms_active = Gauge("zerocarbon_alarms_active", "Alarms active now (any acknowledgement)", registry=r)
        self.alarms_unacknowledged = Gauge(
            "zerocarbon_alarms_unacknowledged", "Active alarms nobody acknowledged yet", registry=r
        )
        self.alarms_raised_total = Counter("zerocarbon_alarms_raised", "Alarms raised since start", registry=r)
        self.notifications_failed_total = Counter(
            "zerocarbon_notifications_failed", "Alarm notifications that could not be delivered", registry=r
        )
        self.scheduler_leader = Gauge(
            "zerocarbon_scheduler_leader", "1 while this instance holds the scheduled-jobs lease", registry=r
        )
        self.scheduled_job_runs_total = Counter(
            "zerocarbon_scheduled_job_runs", "Scheduled job runs, by job and outcome", ["job", "outcome"], registry=r
        )

    def value(self, sample: str, labels: dict[str, str] | None = None) -> float:
        """The current value of one sample (``zerocarbon_readings_total``), 0 when never set."""
        found = self.registry.get_sample_value(sample, labels or {})
        return 0.0 if found is None else float(found)


class HealthChecks:
    """Named checks a service registers: each returns ``ok`` or ``(ok, detail)``; an exception is a failure."""

    def __init__(self) -> None:
        self._checks: dict[str, Callable[[], CheckResult]] = {}
        self._lock = threading.Lock()

    def add(self, name: str, check: Callable[[], CheckResult]) -> None:
        with self._lock:
            self._checks[name] = check

    def remove(self, name: str) -> None:
        with self._lock:
            self._checks.pop(name, None)

    def run(self) -> dict[str, dict[str, object]]:
        with self._lock:
            items = list(self._checks.items())
        results: dict[str, dict[str, object]] = {}
        for name, check in items:
            try:
                outcome = check()
                ok, detail = outcome if isinstance(outcome, tuple) else (bool(outcome), "")
            except Exception as exc:  # a broken check is a failing check, never a broken endpoint
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            results[name] = {"ok": bool(ok), "detail": detail}
        return results


metrics = Metrics()
checks = HealthChecks()
_refreshers: list[Callable[[], None]] = []
_refresh_lock = threading.Lock()  # requests are served in threads; bridges compute deltas and must not interleave


def on_scrape(refresh: Callable[[], None]) -> None:
    """Run ``refresh`` before every /health and /metrics answer (to copy a status snapshot into metrics)."""
    _refreshers.append(refresh)


def off_scrape(refresh: Callable[[], None]) -> None:
    if refresh in _refreshers:
        _refreshers.remove(refresh)


def refresh_all() -> None:
    with _refresh_lock:
        for refresh in list(_refreshers):
            try:
                refresh()
            except Exception:  # a broken bridge must not take the endpoint down; its check will say why
                log.exception("health refresh %s failed", getattr(refresh, "__name__", refresh))


def health_report(service: str, started_at: float) -> dict[str, object]:
    from zerocarbon import __version__

    results = checks.run()
    return {
        "service": service,
        "status": "ok" if all(r["ok"] for r in results.values()) else "failing",
        "version": __version__,
        "uptime_s": round(time.monotonic() - started_at, 3),
        "checks": results,
        "summary": {
            "readings_total": metrics.value("zerocarbon_readings_total"),
            "spool_depth_readings": metrics.value("zerocarbon_spool_depth_readings"),
            "alarms_active": metrics.value("zerocarbon_alarms_active"),
        },
    }


class HealthServer:
    """``/health`` and ``/metrics`` on ``host:port`` in a daemon thread. ``port=0`` picks a free port."""

    def __init__(self, service: str, port: int, host: str = "127.0.0.1") -> None:
        from zerocarbon import __version__

        self.service = service
        self.started_at = time.monotonic()
        metrics.build.info({"version": __version__, "service": service})
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"health-{service}", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving; calling it again does nothing."""
        if not self._thread.is_alive():
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's spelling)
            path = self.path.split("?", 1)[0]
            if path in ("/health", "/metrics"):
                refresh_all()
            if path == "/health":
                report = health_report(server.service, server.started_at)
                code = 200 if report["status"] == "ok" else 503
                self._reply(code, "application/json", json.dumps(report).encode())
            elif path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
            else:
                self._reply(404, "text/plain", b"not found: try /health or /metrics\n")

        def _reply(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # a scrape every 15 s must not flood the service log

    return Handler


def serve_health(settings: Settings, service: str) -> HealthServer | None:
    """Start the health server the settings ask for (``ZEROCARBON_HEALTH_PORT``); None when it is off."""
    if settings.health_port is None:
        return None
    return HealthServer(service, settings.health_port, settings.health_host)


def probe(url: str, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Ask a health endpoint; ``(True, body)`` only for HTTP 200 with status ok."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = response.read().decode()
            return json.loads(body).get("status") == "ok", body
    except urllib.error.HTTPError as exc:
        return False, exc.read().decode(errors="replace")
    except (OSError, ValueError) as exc:
        return False, f"{url}: {exc}"


def main(argv: list[str]) -> int:
    """``python -m zerocarbon.health [URL]``: exit 0 when healthy (Docker HEALTHCHECK), 1 otherwise."""
    port = os.environ.get("ZEROCARBON_HEALTH_PORT", "9108")
    url = argv[0] if argv else f"http://127.0.0.1:{port}/health"
    ok, body = probe(url)
    print(body, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
