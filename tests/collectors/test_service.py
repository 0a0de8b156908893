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


def test_the_whole_simulated_site_is_collected_and_a_fault_shows(site, mosquitto, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.simsite import start_simulated_site

    handle = start_simulated_site(site, mosquitto.port, publish_s=0.5)
    try:
        fast = handle.site.model_copy(update={"devices": [
            d.model_copy(update={"poll_s": dict.fromkeys(d.poll_s, 1.0)}) for d in handle.site.devices
        ]})
        sink = ListSink()
        service = CollectorService(fast, sink, mqtt_options={"port": mosquitto.port, "client_id": "zc-sim"})

        async def run() -> float:
            task = asyncio.create_task(service.run())
            await asyncio.sleep(2.5)
            handle.fault("pv-inv-03", "comm_loss")
            faulted = time.time()
            await asyncio.sleep(2.5)
            await service.stop()
            await task
            return faulted

        faulted = asyncio.run(run())
        expected_grid_kw = handle.values("grid-meter-1")["p_kw"]
    finally:
        handle.stop()
    good = {r.point_id for r in sink.readings if r.quality is Quality.GOOD}
    for d in site.devices:  # every device, Modbus and MQTT, delivered good values
        assert any(pid.startswith(f"{d.id}.") for pid in good), d.id
    last_grid = max((r for r in sink.readings if r.point_id == "grid-meter-1.p_kw"), key=lambda r: r.ts)
    assert last_grid.value is not None and abs(last_grid.value - float(expected_grid_kw)) <= 0.2 * abs(
        float(expected_grid_kw)) + 1  # the simulator moves on between our last poll and its last tick
    assert any(r.point_id == "pv-inv-01.W" and (r.value or 0) > 0 for r in sink.readings)  # sunny noon
    after = [r for r in sink.readings if r.point_id == "pv-inv-03.W" and r.ts > faulted + 0.1]
    assert after and after[-1].quality is Quality.COMM_LOSS  # within two 1 s intervals of the fault
