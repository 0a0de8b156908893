"""``zerocarbon status`` reads the snapshot a running collector writes and shows health, last values, spool."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from collectors.service import CollectorService
from collectors.spool import Spool
from tests.collectors.conftest import modbus_device, write_site
from tests.support.modbus import RegisterServer
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def status(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "ZEROCARBON_DATA_DIR": str(data_dir)}
    return subprocess.run([exe, "status", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def run_collector(tmp_path: Path, data_dir: Path, register_server: RegisterServer) -> None:
    """Run a collector until its health snapshot shows the live meter ok and the dead one marked."""

    def meter(device: str, port: int) -> dict[str, Any]:  # a timeout a loaded host keeps (0.18 s did not)
        return {**modbus_device(device, "energy-meter", port, poll_s={"default": 1.0, "energy": 60}),
                "connection": {"host": "127.0.0.1", "port": port, "unit_id": 1, "timeout_s": 0.9}}

    site = write_site(tmp_path, [meter("meter-ok", register_server.port), meter("meter-dead", free_port())])
    spool = Spool(data_dir / "spool")  # nothing drains it: its depth is what was collected
    snapshot = data_dir / "status" / "collector.json"
    service = CollectorService(site, spool, status_path=snapshot,
                               status_extra=lambda: {"spool": spool.status()}, health_interval_s=0.2)

    def shown() -> bool:
        try:
            rows = {d["device"]: d for d in json.loads(snapshot.read_text())["devices"]}
        except (OSError, ValueError):
            return False
        return rows["meter-ok"]["state"] == "ok" and rows["meter-ok"]["requests_per_cycle"] == {
            "default": 1, "energy": 1} and rows["meter-dead"]["state"] == "comm_loss"

    async def run() -> None:
        task = asyncio.create_task(service.run())
        deadline = time.monotonic() + 60
        while not shown():
            assert time.monotonic() < deadline and not task.done(), "no health snapshot within 60 s"
            await asyncio.sleep(0.05)
        await service.stop()  # its last snapshot is seconds old: status still calls it running
        await task

    asyncio.run(run())
    spool.close()


def test_status_shows_devices_last_values_and_spool(tmp_path: Path, register_server: RegisterServer) -> None:
    data = tmp_path / "data"
    run_collector(tmp_path, data, register_server)
    result = status(data)
    assert result.returncode == 0, result.stderr
    assert "running (pid" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  meter-")}
    assert "ok" in lines["meter-ok"] and "default:1,energy:1" in lines["meter-ok"] and "s ago" in lines["meter-ok"]
    assert "comm_loss" in lines["meter-dead"] and "never" in lines["meter-dead"]
    assert "readings waiting" in result.stdout
    snap = json.loads(status(data, "--json").stdout)["collector"]
    assert snap["spool"]["depth"] > 0 and {d["device"] for d in snap["devices"]} == {"meter-ok", "meter-dead"}


def test_status_without_a_collector_says_how_to_start_one(tmp_path: Path) -> None:
    result = status(tmp_path / "empty")
    assert result.returncode == 1 and "zerocarbon collect" in result.stderr


def test_status_of_a_stopped_collector_says_so(tmp_path: Path) -> None:
    path = tmp_path / "data" / "status" / "collector.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pid": 1, "started": 0, "written": 1000.0, "devices": []}))
    result = status(tmp_path / "data")
    assert result.returncode == 1 and "NOT RUNNING" in result.stdout


def test_status_counts_suspect_readings_and_dead_letters_by_kind(tmp_path: Path) -> None:
    path = tmp_path / "data" / "status" / "collector.json"
    path.parent.mkdir(parents=True)
    snap = {"pid": 1, "started": 0, "written": 1000.0,
            "devices": [{"device": "meter-x", "protocol": "modbus", "state": "ok", "suspect_readings": 4}],
            "mqtt": {"dead_letters": {"not_utf8": 2, "duplicate_key": 1}}}
    path.write_text(json.dumps(snap))
    out = status(tmp_path / "data").stdout
    assert "suspect readings (outside range): meter-x 4" in out
    assert "MQTT dead letters: duplicate_key 1, not_utf8 2" in out
