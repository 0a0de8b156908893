"""The health server every long-running service starts: /health for Docker, /metrics for Prometheus."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from zerocarbon.health import HealthServer, checks, metrics, serve_health
from zerocarbon.settings import load_settings


@pytest.fixture
def health() -> Iterator[HealthServer]:
    server = HealthServer("collector", port=0)
    yield server
    server.stop()
    for name in ("spool", "store", "broken"):
        checks.remove(name)


def scrape(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        f"{s.name}{sorted(s.labels.items()) if s.labels else ''}": s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_health_is_ok_with_passing_checks(health: HealthServer) -> None:
    checks.add("spool", lambda: (True, "12 readings waiting"))
    r = httpx.get(f"{health.url}/health", timeout=5)
    assert r.status_code == 200
    body = r.json()
    assert body["service"] == "collector" and body["status"] == "ok"
    assert body["checks"]["spool"] == {"ok": True, "detail": "12 readings waiting"}


def test_a_failing_check_turns_health_503_and_names_itself(health: HealthServer) -> None:
    checks.add("spool", lambda: True)
    checks.add("store", lambda: (False, "InfluxDB at http://influxdb:8086 unreachable"))
    r = httpx.get(f"{health.url}/health", timeout=5)
    assert r.status_code == 503
    assert r.json()["status"] == "failing"
    assert r.json()["checks"]["store"]["detail"] == "InfluxDB at http://influxdb:8086 unreachable"


def test_a_check_that_raises_is_a_failure_not_a_broken_endpoint(health: HealthServer) -> None:
    def broken() -> bool:
        raise RuntimeError("spool directory vanished")

    checks.add("broken", broken)
    r = httpx.get(f"{health.url}/health", timeout=5)
    assert r.status_code == 503
    assert r.json()["checks"]["broken"] == {"ok": False, "detail": "RuntimeError: spool directory vanished"}


def test_metrics_expose_what_services_update(health: HealthServer) -> None:
    before = scrape(health.url)
    metrics.readings_total.inc(250)
    metrics.spool_depth.set(1234)
    metrics.device_errors_total.labels(device="pv-inv-03", kind="timeout").inc(2)
    metrics.store_write_seconds.observe(0.02)
    metrics.alarms_active.set(3)
    after = scrape(health.url)
    assert after["zerocarbon_readings_total"] - before.get("zerocarbon_readings_total", 0) == 250
    assert after["zerocarbon_spool_depth_readings"] == 1234
    key = "zerocarbon_device_errors_total[('device', 'pv-inv-03'), ('kind', 'timeout')]"
    assert after[key] - before.get(key, 0) == 2
    assert after["zerocarbon_store_write_seconds_count"] - before.get("zerocarbon_store_write_seconds_count", 0) == 1
    # 0.02 s falls in the 0.025 bucket and every larger one, not in 0.01
    le_001 = "zerocarbon_store_write_seconds_bucket[('le', '0.01')]"
    le_0025 = "zerocarbon_store_write_seconds_bucket[('le', '0.025')]"
    assert after[le_0025] - before.get(le_0025, 0) == 1
    assert after[le_001] - before.get(le_001, 0) == 0
    assert after["zerocarbon_alarms_active"] == 3
    assert after["zerocarbon_build_info[('service', 'collector'), ('version', '0.1.0')]"] == 1


def test_unknown_path_is_404(health: HealthServer) -> None:
    assert httpx.get(f"{health.url}/nope", timeout=5).status_code == 404


def test_probe_exits_0_when_healthy_and_1_when_failing_or_down(health: HealthServer) -> None:
    probe = [sys.executable, "-m", "zerocarbon.health", f"{health.url}/health"]
    assert subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    checks.add("store", lambda: (False, "down"))
    failing = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    assert failing.returncode == 1 and '"store"' in failing.stderr
    health.stop()
    down = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    assert down.returncode == 1 and "refused" in down.stderr.lower()


def test_serve_health_is_off_unless_a_port_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEROCARBON_HEALTH_PORT", raising=False)
    assert serve_health(load_settings(), "alerts") is None
    monkeypatch.setenv("ZEROCARBON_HEALTH_PORT", "0")
    server = serve_health(load_settings(), "alerts")
    assert server is not None
    try:
        assert httpx.get(f"{server.url}/health", timeout=5).json()["service"] == "alerts"
    finally:
        server.stop()
