"""The scheduled service: a dead device never delays a live one; health snapshot; shards."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path

from collectors.service import CollectorService, shard_devices
from models.reading import Quality, Reading
from tests.collectors.conftest import modbus_device, write_site
from tests.support.modbus import RegisterServer
from tests.support.processes import free_port


class ListSink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def put(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)


def test_dead_and_slow_devices_do_not_delay_a_live_one(tmp_path: Path) -> None:
    live, slow = RegisterServer().start(), RegisterServer().start()
    slow.delay_s = 2.0
    try:
        site = write_site(tmp_path, [
            modbus_device("live", "energy-meter", live.port, poll_s={"default": 0.2, "energy": 60}),
            modbus_device("dead", "energy-meter", free_port(), poll_s={"default": 0.2, "energy": 60}),
            modbus_device("slow", "energy-meter", slow.port, poll_s={"default": 0.2, "energy": 60}),
        ])
        sink = ListSink()
        status = tmp_path / "status" / "collector.json"
        service = CollectorService(site, sink, status_path=status, health_interval_s=0.2)

        async def run_for(seconds: float) -> float:
            started = time.time()
            task = asyncio.create_task(service.run())
            await asyncio.sleep(seconds)
            await service.stop()
            await task
            return started

        started = asyncio.run(run_for(1.5))
    finally:
        live.stop()
        slow.stop()
    live_cycles = sorted({r.ts for r in sink.readings if r.point_id == "live.p_kw"})
    # 1.5 s at 0.2 s: 7 cycles when nothing waits on the others; allow 2 for start-up and shutdown
    assert len(live_cycles) >= 5
    assert max(b - a for a, b in zip(live_cycles, live_cycles[1:], strict=False)) < 0.35
    first_dead = min(r.ts for r in sink.readings if r.point_id == "dead.p_kw")
    first_slow = min(r.ts for r in sink.readings if r.point_id == "slow.p_kw")
    assert first_dead - started < 2 * 0.2 + 0.1  # comm loss reported within two intervals (+ stagger)
    assert first_slow - started < 2 * 0.2 + 0.3 + 0.1  # ... for the slow one after its 0.3 s timeout
    assert {r.quality for r in sink.readings if r.point_id.startswith(("dead.", "slow."))} == {Quality.COMM_LOSS}
    snapshot = json.loads(status.read_text())
    states = {d["device"]: d["state"] for d in snapshot["devices"]}
    assert states == {"live": "ok", "dead": "comm_loss", "slow": "comm_loss"}
    live_row = next(d for d in snapshot["devices"] if d["device"] == "live")
    assert live_row["requests_per_cycle"] == {"default": 1, "energy": 1} and live_row["last_value_ts"] > started


def test_shards_split_devices_deterministically(site) -> None:  # type: ignore[no-untyped-def]
    shards = [shard_devices(site.devices, i, 3) for i in range(3)]
    ids = [d.id for shard in shards for d in shard]
    assert sorted(ids) == sorted(d.id for d in site.devices)  # every device exactly once
    assert [d.id for d in shard_devices(site.devices, 1, 3)] == [d.id for d in shards[1]]  # same answer again
    assert all(shards)
