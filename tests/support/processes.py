"""Real servers for tests: private mosquitto and influxd instances on free loopback ports, stopped by PID.

A missing binary fails loudly (``make test`` installs them); tests never fall back to fakes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

_HANDED_OUT: set[int] = set()  # every port this process gave a test: never given twice


def free_port() -> int:
    """A loopback port nobody listens on, never one this process handed out before: the kernel may give a
    just-closed port again (two calls gave one port to two simulated meters), and a port handed out earlier may
    be about to be bound by a server still starting."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (see :func:`free_port`): each socket stays bound until all are chosen."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            held.append(s)  # one handed out before is held too, so the kernel picks another
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port not in _HANDED_OUT:
                ports.append(port)
                _HANDED_OUT.add(port)
        return ports
    finally:
        for s in held:
            s.close()


def require_binary(name: str, package: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)
    if path is None:
        raise RuntimeError(f"{name} not found: install Debian's {package} package (make test does this as root)")
    return path


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} after {timeout_s}s: {log.read_text(errors='replace')}")


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def kill(self) -> None:
        """SIGKILL, for outage tests."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)


@dataclass
class Mosquitto(ServerProcess):
    host: str = "127.0.0.1"

    def restart(self) -> None:
        """Start again on the same port and the same persistence directory (broker outage tests)."""
        self.stop()
        fresh = start_mosquitto(self.workdir, port=self.port)
        self.proc = fresh.proc


def start_mosquitto(workdir: Path, port: int | None = None) -> Mosquitto:
    binary = require_binary("mosquitto", "mosquitto")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = workdir / "mosquitto.conf"
    lines = [
        "per_listener_settings false",
        f"listener {port} 127.0.0.1",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {workdir}/",
        "autosave_interval 1",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "connection_messages false",
        "max_queued_messages 1000000",
        "max_queued_bytes 0",
        "max_inflight_messages 100",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to user 'mosquitto', who cannot write our tmp dir
    conf.write_text("\n".join(lines) + "\n")
    log = workdir / "mosquitto.log"
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, 10, proc, log)
    return Mosquitto(proc=proc, port=port, workdir=workdir)


@dataclass
class Influxd(ServerProcess):
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_database(self, name: str) -> None:
        r = httpx.post(f"{self.url}/query", params={"q": f'CREATE DATABASE "{name}"'}, timeout=10)
        r.raise_for_status()

    def query(self, db: str, q: str) -> dict[str, object]:
        r = httpx.get(f"{self.url}/query", params={"db": db, "q": q, "epoch": "s"}, timeout=30)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]


def start_influxd(workdir: Path, port: int | None = None) -> Influxd:
    binary = require_binary("influxd", "influxdb")
    workdir.mkdir(parents=True, exist_ok=True)
    port, rpc_port = (port, free_port()) if port else free_ports(2)
    conf = workdir / "influxdb.conf"
    conf.write_text(
        f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{workdir}/meta"
[data]
  dir = "{workdir}/data"
  wal-dir = "{workdir}/wal"
  query-log-enabled = false
  cache-max-memory-size = "512m"
  max-series-per-database = 0
  max-values-per-tag = 0
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
[ifql]
  enabled = false
[continuous_queries]
  enabled = false
"""
    )
    log = workdir / "influxd.log"
    proc = subprocess.Popen([binary, "run", "-config", str(conf)], stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, 20, proc, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 204:
                return Influxd(proc=proc, port=port, workdir=workdir)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"influxd did not answer /ping: {log.read_text(errors='replace')[-2000:]}")
