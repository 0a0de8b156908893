"""``zerocarbon dashboard`` (one process, waitress, as ``demo`` and ``run`` serve it) on a fresh install with an
empty store, and ``zerocarbon users``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.dashboard.conftest import sign_in
from tests.support.processes import free_ports
from zerocarbon.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]


def _wait_for_password(proc: subprocess.Popen[str], timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        seen += line
        found = re.search(r"password: (\S+)", seen)
        if found:
            return found.group(1)
        if proc.poll() is not None:
            break
    raise AssertionError(f"no admin password printed: {seen}")


def _wait_until_serving(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def list_children(pid: int) -> list[int]:
    return [int(k) for f in Path(f"/proc/{pid}/task").glob("*/children") for k in f.read_text().split()]


def test_fresh_install_prints_admin_password_once_and_serves_an_empty_store(tmp_path: Path) -> None:
    port, health_port = free_ports(2)
    env = {**os.environ, "ZEROCARBON_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1",
           "ZEROCARBON_HEALTH_PORT": str(health_port)}
    env.pop("ZEROCARBON_ADMIN_PASSWORD", None)
    proc = subprocess.Popen([sys.executable, "-m", "zerocarbon", "dashboard", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        password = _wait_for_password(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url)
        with httpx.Client(base_url=url, timeout=60) as client:
            signed_in = sign_in(client, "admin", password)
            assert signed_in.status_code == 302
            # the measured production path: dashboard.server.ConsoleServer (waitress names itself so), in this
            # one process, not gunicorn's master and worker
            assert signed_in.headers["server"] == "zerocarbon"
            assert not list_children(proc.pid)
            route = {"output": "..topbar.children...page.children..",
                     "outputs": [{"id": "topbar", "property": "children"}, {"id": "page", "property": "children"}],
                     "inputs": [{"id": "url", "property": "pathname", "value": "/"},
                                {"id": "lang", "property": "data", "value": "en"}],
                     "changedPropIds": ["url.pathname"], "state": []}
            overview = client.post("/_dash-update-component", json=route)
        assert overview.status_code == 200
        assert "overview-page" in json.dumps(overview.json())  # the page draws with no data at all
        health = httpx.get(f"http://127.0.0.1:{health_port}/health", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["console"] == {"ok": True, "detail": "login page HTTP 200"}
        metrics = httpx.get(f"http://127.0.0.1:{health_port}/metrics", timeout=10)
        assert metrics.status_code == 200 and 'service="dashboard"' in metrics.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0  # docker stop: the server, journal and store closed in order
    users = json.loads((tmp_path / "data" / "users.json").read_text())["users"]
    assert list(users) == ["admin"] and password not in json.dumps(users)


def test_workers_over_influxdb_run_under_gunicorn_and_sign_in(influxd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``--workers 2`` (InfluxDB only): gunicorn's master and two workers, each with the app and its lanes."""
    (port,) = free_ports(1)
    env = {**os.environ, "ZEROCARBON_DATA_DIR": str(tmp_path / "data"), "ZEROCARBON_STORE": "influxdb",
           "ZEROCARBON_INFLUX_URL": influxd.url, "ZEROCARBON_INFLUX_DB": "console_workers",
           "ZEROCARBON_ADMIN_PASSWORD": "workers-secret-1"}
    env.pop("ZEROCARBON_HEALTH_PORT", None)
    proc = subprocess.Popen([sys.executable, "-m", "zerocarbon", "dashboard", "--port", str(port), "--workers", "2"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url)
        with httpx.Client(base_url=url, timeout=60) as client:
            signed_in = sign_in(client, "admin", "workers-secret-1")
            assert signed_in.status_code == 302
            assert signed_in.headers["server"] == "gunicorn"
            assert client.get("/_dash-layout").status_code == 200  # sessions live on disk: any worker knows it
        deadline = time.monotonic() + 30
        while len(list_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list_children(proc.pid)) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_users_add_and_passwd(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dashboard.auth import UserBook

    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "ops", "--role", "operator"], input="first-pass-1\nfirst-pass-1\n")
    assert added.exit_code == 0, added.output
    changed = runner.invoke(cli, ["users", "passwd", "ops"], input="second-pass-2\nsecond-pass-2\n")
    assert changed.exit_code == 0, changed.output
    book = UserBook(tmp_path / "users.json")
    assert book.check("ops", "first-pass-1") is None
    assert book.check("ops", "second-pass-2").role == "operator"
    weak = runner.invoke(cli, ["users", "add", "shorty"], input="abc\nabc\n")
    assert weak.exit_code == 1 and "at least 8" in weak.output


def test_the_served_console_keeps_the_weather_forecast_feed_as_run_does(mosquitto, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # the compose stack serves the console with `zerocarbon dashboard` and runs no `zerocarbon run`: the Plan
    # page's forecast feed must be kept by the dashboard process itself
    from datetime import date, timedelta

    from models.loader import load_site
    from models.site import MqttBroker
    from simulators.weather_forecast import day_ahead_payload, publish

    site = load_site(ROOT / "config" / "site.yaml")
    day = str(date.today() + timedelta(days=1))
    publish(MqttBroker(host="127.0.0.1", port=mosquitto.port), "forecast/weather", day_ahead_payload(site, day, seed=3))
    port, health_port = free_ports(2)
    data = tmp_path / "data"
    env = {**os.environ, "ZEROCARBON_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1", "ZEROCARBON_ADMIN_PASSWORD":
           "admin-secret-1", "ZEROCARBON_HEALTH_PORT": str(health_port), "ZEROCARBON_MQTT_HOST": "127.0.0.1",
           "ZEROCARBON_MQTT_PORT": str(mosquitto.port)}
    proc = subprocess.Popen([sys.executable, "-m", "zerocarbon", "dashboard", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list((data / "weather_forecasts").glob("*")):
            assert time.monotonic() < deadline and proc.poll() is None, "the dashboard kept no weather forecast"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
