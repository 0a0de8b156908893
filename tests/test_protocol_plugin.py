"""A protocol that touches only its own modules: tests/support/toy_protocol.py registers a toy protocol (its
models and its collector, from that module alone) and check-config, the collector service, ``status`` and
sharding take its devices with no other file of zerocarbon touched.

It runs in a fresh interpreter: registering rebuilds the site models, which must not leak into other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import asyncio, json, shutil, sys
from pathlib import Path
from typer.testing import CliRunner
from tests.support import toy_protocol
from zerocarbon.cli import app

toy_protocol.register()
tmp = Path(sys.argv[1])
shutil.copytree(Path("config/templates"), tmp / "templates")
(tmp / "templates" / "toy-sensor.yaml").write_text(
    "id: toy-sensor\nprotocol: toy\npoints:\n  - {name: temp_c, unit: degC, kind: temperature}\n"
    "  - {name: humidity_pct, unit: '%', kind: percent}\n")
HEAD = """site: {id: toy, name: Toy site, latitude: 22.27, longitude: 113.58, timezone: Asia/Shanghai,
  gross_floor_area_m2: 1000}
subsystems: [{id: lighting, name_en: Lighting, name_zh: 照明}]
energy_systems: {grid: [{id: grid, capacity_kva: 100, meters: [meter-1]}]}
devices:
  - {id: meter-1, subsystem: lighting, protocol: modbus, template: energy-meter,
     connection: {host: 127.0.0.1, port: 15020}, roles: {import_kwh: grid_import}}
"""

def toy(i, port, toy_id=None, key="toy_id"):
    conn = {"host": "127.0.0.1", "port": port, key: i if toy_id is None else toy_id}
    return (f"  - {{id: toy-{i}, subsystem: lighting, protocol: toy, template: toy-sensor, "
            f"connection: {json.dumps(conn)}, poll_s: {{default: 0.5}}}}\n")

async def main():
    from collectors.registry import collector, shard_share
    from collectors.service import CollectorService, shard_devices
    from models.loader import load_site
    loop = asyncio.get_running_loop()
    devices, ports = [], []
    for values in ({"temp_c": 21.5, "humidity_pct": 40.0}, {"temp_c": 23.0, "humidity_pct": 55.0}):
        transport, device = await loop.create_datagram_endpoint(
            lambda v=values: toy_protocol.ToyDevice(v), local_addr=("127.0.0.1", 0))
        devices.append(transport)
        ports.append(transport.get_extra_info("sockname")[1])
    (tmp / "site.yaml").write_text(HEAD + toy(1, ports[0]) + toy(2, ports[1]))
    (tmp / "bad.yaml").write_text(HEAD + toy(1, ports[0]) + toy(2, ports[0], toy_id=1))
    (tmp / "typo.yaml").write_text(HEAD + toy(1, ports[0]) + toy(2, 9, key="toy_idd"))
    runner = CliRunner()
    ok = runner.invoke(app, ["check-config", str(tmp / "site.yaml")])
    bad = runner.invoke(app, ["check-config", str(tmp / "bad.yaml")])
    typo = runner.invoke(app, ["check-config", str(tmp / "typo.yaml")])
    site = load_site(tmp / "site.yaml")
    toys = [d for d in site.devices if d.protocol == "toy"]
    shards = [[d.id for d in shard_share(toys, shard_devices(site.devices, i, 2))] for i in range(2)]
    got = []
    class Sink:
        def put(self, readings):
            got.extend((r.point_id, r.value, str(r.quality)) for r in readings)
    status_dir = tmp / "data" / "status"
    status_dir.mkdir(parents=True)
    service = CollectorService(site, Sink(), devices=toys, status_path=status_dir / "collector.json",
                               health_interval_s=0.5)
    task = asyncio.create_task(service.run())

    async def until(done):  # each phase runs until its readings are in (a loaded host stretches cycles)
        deadline = loop.time() + 60
        while not done():
            assert loop.time() < deadline and not task.done(), got
            await asyncio.sleep(0.05)

    def seen(point, quality):
        return any(p == point and q == quality for p, _, q in got)

    await until(lambda: seen("toy-1.humidity_pct", "good") and seen("toy-2.temp_c", "good"))
    devices[1].close()  # toy-2 goes offline
    await until(lambda: seen("toy-2.temp_c", "comm_loss") and seen("toy-1.temp_c", "good"))
    service.write_status()
    await service.stop()
    await task
    devices[0].close()
    status = runner.invoke(app, ["status", "--json"], env={"ZEROCARBON_DATA_DIR": str(tmp / "data")})
    print(json.dumps({"check_ok": [ok.exit_code, ok.output], "check_bad": [bad.exit_code, bad.output],
                      "check_typo": [typo.exit_code, typo.output],
                      "sharded": collector("toy").sharded, "shards": shards, "readings": got,
                      "status": [status.exit_code, status.output]}))

asyncio.run(main())
'''


def test_a_toy_protocol_from_its_own_module_is_checked_collected_reported_and_sharded(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    code, text = result["check_ok"]
    assert code == 0 and "3 devices (1 Modbus, 2 Toy)" in text
    code, text = result["check_bad"]  # the loader's one-device-per-address rule reaches the toy's key too
    assert code == 2 and "devices[2].connection: same host, port and toy id as device 'toy-1'" in text
    code, text = result["check_typo"]  # the loader's "did you mean" knows the toy's words
    assert code == 2 and "devices[2].connection.toy_idd: unknown key (did you mean 'toy_id'?)" in text
    assert result["sharded"] is True
    assert sorted(result["shards"][0] + result["shards"][1]) == ["toy-1", "toy-2"]
    assert not set(result["shards"][0]) & set(result["shards"][1])
    readings = {(pid, value) for pid, value, quality in result["readings"] if quality == "good"}
    assert {("toy-1.temp_c", 21.5), ("toy-1.humidity_pct", 40.0), ("toy-2.temp_c", 23.0)} <= readings
    assert ("toy-2.temp_c", None) in {(pid, v) for pid, v, q in result["readings"] if q == "comm_loss"}
    code, text = result["status"]
    rows = {d["device"]: d for d in json.loads(text)["collector"]["devices"]}
    assert code == 0 and rows["toy-1"]["protocol"] == "toy" and rows["toy-1"]["state"] == "ok"
    assert rows["toy-2"]["state"] == "comm_loss" and rows["toy-1"]["requests_per_cycle"] == {"default": 2}
