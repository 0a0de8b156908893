"""Helpers for collector tests: small sites written as real YAML, SunSpec register images, a real SQLite writer."""

from __future__ import annotations

import sqlite3
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from models.errors import StoreUnavailable
from models.loader import load_site
from models.reading import Reading
from models.site import Site
from models.sunspec import SUNS_MARKER, chain_layout, model_points
from models.template import RegisterPoint, SunSpecSpec
from models.vocabulary import DataType
from tests.support.modbus import RegisterServer

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"


def write_site(tmp_path: Path, devices: list[dict[str, Any]], mqtt_port: int = 1883) -> Site:
    """A minimal site file around ``devices`` (loaded with the project's templates)."""
    doc = {
        "site": {"id": "test-site", "name": "Test", "latitude": 22.27, "longitude": 113.58,
                 "timezone": "Asia/Shanghai", "gross_floor_area_m2": 1000},
        "subsystems": [{"id": "power_distribution", "name_en": "Power", "name_zh": "供配电"}],
        "energy_systems": {"grid": [{"id": "grid", "capacity_kva": 100, "meters": [devices[0]["id"]]}]},
        "mqtt": {"host": "127.0.0.1", "port": mqtt_port},
        "devices": [{"subsystem": "power_distribution", **d} for d in devices],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    if not (tmp_path / "templates").exists():
        (tmp_path / "templates").symlink_to(TEMPLATES)  # `zerocarbon collect` looks beside the site file
    return load_site(path, TEMPLATES)


def modbus_device(device_id: str, template: str, port: int, **extra: Any) -> dict[str, Any]:
    return {"id": device_id, "protocol": "modbus", "template": template,
            "connection": {"host": "127.0.0.1", "port": port, "unit_id": 1, "timeout_s": 0.3}, **extra}


def encode_point(point: RegisterPoint, value: int | float | str) -> list[int]:
    """Registers of one value, big-endian bytes and words (what our test devices speak)."""
    if point.type is DataType.STRING:
        data = str(value).encode().ljust(2 * point.count, b"\0")
    else:
        code = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q",
                "float32": "f", "float64": "d"}[point.type.value]
        data = struct.pack(">" + code, value)
    return list(struct.unpack(f">{len(data) // 2}H", data))


def load_sunspec(
    server: RegisterServer, base: int, models: Sequence[int], values: dict[str, int | float | str]
) -> None:
    """The 'SunS' marker, each model's ID/L header and the given point values, then the end model."""
    server.set_registers(base, list(SUNS_MARKER))
    layout = chain_layout(SunSpecSpec(base=base, models=list(models)))  # type: ignore[arg-type]
    for mid, addr, length in layout:
        server.set_registers(addr, [mid, length])
        for p in model_points(mid, addr):
            if p.name in values:
                server.set_registers(p.address, encode_point(p, values[p.name]))
    _, last_addr, last_len = layout[-1]
    server.set_registers(last_addr + last_len + 2, [0xFFFF, 0])


class SqliteWriter:
    """A real ReadingWriter on a SQLite file, overwriting on (point_id, ts) like the platform's stores.
    ``available = False`` makes it raise StoreUnavailable (a store outage)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.available = True
        self.writes = 0
        self._lock = threading.Lock()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE IF NOT EXISTS readings (point_id TEXT, ts REAL, value REAL, quality TEXT, "
                       "PRIMARY KEY (point_id, ts))")

    def write(self, readings: Sequence[Reading]) -> None:
        if not self.available:
            raise StoreUnavailable(f"test store {self.path} is down")
        with self._lock, sqlite3.connect(self.path) as db:
            db.executemany("INSERT OR REPLACE INTO readings VALUES (?, ?, ?, ?)",
                           [(r.point_id, r.ts, r.value, r.quality.value) for r in readings])
            self.writes += 1

    def count(self) -> int:
        with sqlite3.connect(self.path) as db:
            return int(db.execute("SELECT count(*) FROM readings").fetchone()[0])

    def rows(self) -> list[tuple[str, float, float | None, str]]:
        with sqlite3.connect(self.path) as db:
            return list(db.execute("SELECT point_id, ts, value, quality FROM readings ORDER BY point_id, ts"))


def start_secure_mosquitto(workdir: Path, user: str, password: str) -> tuple[Any, Path]:
    """A mosquitto that wants a password and speaks only TLS, with a CA of its own: (server, CA file)."""
    import os
    import subprocess

    from tests.support.processes import Mosquitto, free_port, require_binary, wait_for_port

    workdir.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        subprocess.run(args, cwd=workdir, check=True, capture_output=True)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "1", "-subj", "/CN=zerocarbon test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "1", "-extfile", "san.ext")
    run(require_binary("mosquitto_passwd", "mosquitto"), "-b", "-c", "passwd", user, password)
    port = free_port()
    lines = ["per_listener_settings false", "allow_anonymous false", f"password_file {workdir}/passwd",
             f"listener {port} 127.0.0.1", f"cafile {workdir}/ca.crt", f"certfile {workdir}/server.crt",
             f"keyfile {workdir}/server.key", "persistence false", "log_dest stderr", "log_type error"]
    if os.geteuid() == 0:
        lines.append("user root")
    (workdir / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    log = workdir / "mosquitto.log"
    proc = subprocess.Popen([require_binary("mosquitto", "mosquitto"), "-c", str(workdir / "mosquitto.conf")],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, 10, proc, log)
    return Mosquitto(proc=proc, port=port, workdir=workdir), workdir / "ca.crt"
