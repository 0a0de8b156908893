"""The scheduled service: a dead device never delays a live one; health snapshot; shards."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


def states_in(status: Path) -> dict[str, str]:
    """Device -> state in the service's health snapshot ({} before the first one is written)."""
    try:
        return {d["device"]: d["state"] for d in json.loads(status.read_text())["devices"]}
    except (OSError, ValueError):
        return {}


async def until(done: Callable[[], bool], deadline_s: float = 60.0) -> None:
    """Wait (in the running loop, so the service keeps polling) until ``done()``; fail past the deadline."""
    deadline = time.monotonic() + deadline_s
    while not done():
        assert time.monotonic() < deadline, "not reached within the deadline"
        await asyncio.sleep(0.05)


async def run_until(service: CollectorService, done: Callable[[], bool], deadline_s: float = 60.0) -> None:
    """Run ``service`` until ``done()`` holds, then stop it."""
    task = asyncio.create_task(service.run())
    await until(lambda: done() or task.done(), deadline_s)
    await service.stop()
    await task


def test_dead_and_slow_devices_do_not_delay_a_live_one(tmp_path: Path) -> None:
    """Checked by what happened, not by the clock (a loaded host stretches every interval): the live meter is
    read while a slow meter's request is held, and the dead and slow meters are marked on their first cycle."""
    live, slow = RegisterServer().start(), RegisterServer().start()
    slow.delay_s = 5.0  # held past its 3 s timeout
    try:
        def meter(device: str, port: int, poll_s: float, timeout_s: float) -> dict[str, Any]:
            return {**modbus_device(device, "energy-meter", port, poll_s={"default": poll_s, "energy": 60}),
                    "connection": {"host": "127.0.0.1", "port": port, "unit_id": 1, "timeout_s": timeout_s}}

        # timeouts a loaded host keeps (a 0.18 s one timed the live meter out at load 11)
        site = write_site(tmp_path, [meter("live", live.port, 1.0, 0.9), meter("dead", free_port(), 1.0, 0.9),
                                     meter("slow", slow.port, 4.0, 3.0)])
        sink = ListSink()
        status = tmp_path / "status" / "collector.json"
        service = CollectorService(site, sink, status_path=status, health_interval_s=0.2)

        def seen(device: str) -> list[float]:
            return sorted({r.ts for r in sink.readings if r.point_id == f"{device}.p_kw"})

        def done() -> bool:  # three live cycles, and a health snapshot written after the slow meter's mark
            return bool(seen("slow")) and len(seen("live")) >= 3 and states_in(status).get("slow") == "comm_loss"

        asyncio.run(run_until(service, done))
    finally:
        live.stop()
        slow.stop()
    live_cycles, first_dead, first_slow = seen("live"), seen("dead")[0], seen("slow")[0]
    held = slow.arrivals[0]
    # While the slow meter's first request was held (3 s until its timeout), the 1 s live meter was read:
    # waiting on the slow one, it would have been read 0 times.
    assert sum(held < t < held + 3.0 for t in live.arrivals) >= 2
    assert first_dead < live_cycles[2]  # comm loss on its first cycle, beside the live meter's first reads
    assert first_slow < held + slow.delay_s  # marked at its timeout, not when the held answer came
    assert {r.quality for r in sink.readings if r.point_id.startswith(("dead.", "slow."))} == {Quality.COMM_LOSS}
    assert states_in(status) == {"live": "ok", "dead": "comm_loss", "slow": "comm_loss"}
    snapshot = json.loads(status.read_text())
    live_row = next(d for d in snapshot["devices"] if d["device"] == "live")
    assert live_row["requests_per_cycle"] == {"default": 1, "energy": 1} and live_row["last_value_ts"] >= live_cycles[0]


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

        def delivered() -> set[str]:
            return {r.point_id.split(".", 1)[0] for r in sink.readings if r.quality is Quality.GOOD}

        def pv3_after(t: float) -> list[Reading]:
            return [r for r in list(sink.readings) if r.point_id == "pv-inv-03.W" and r.ts > t]

        async def run() -> float:
            task = asyncio.create_task(service.run())
            await until(lambda: delivered() >= {d.id for d in site.devices})  # every device, Modbus and MQTT
            handle.fault("pv-inv-03", "comm_loss")
            faulted = time.time()
            # marked, and polled again after that (the mark holds while the device is down)
            await until(lambda: sum(r.quality is Quality.COMM_LOSS for r in pv3_after(faulted)) >= 2)
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
    after = pv3_after(faulted)
    first_lost = next(i for i, r in enumerate(after) if r.quality is Quality.COMM_LOSS)
    assert {r.quality for r in after[first_lost:]} == {Quality.COMM_LOSS}  # once marked, marked while down
