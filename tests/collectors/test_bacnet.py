"""Polling real bacpypes3 devices over UDP on loopback: values, status flags, batches, COV, comm loss, read-only.

The device is the simulator's :class:`~simulators.bacnet_server.BacnetEndpoint` (bacpypes3's own local objects)
on a free port; the collector is :class:`~collectors.bacnet.BacnetPoller`, its own bacpypes3 client.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collectors.bacnet import BacnetPoller
from collectors.bacnet_plan import batches, objects_per_request
from models.bacnet import BacnetTemplate
from models.reading import Quality, Reading
from simulators.bacnet_server import BacnetEndpoint
from simulators.faults import Fault
from tests.collectors.conftest import write_site

CHILLER = {"chw_supply_c": 6.5, "chw_return_c": 11.25, "cw_supply_c": 30.0, "electric_kw": 512.5,
           "cooling_kw": 2870.0, "load_pct": 68.0, "running": 1.0, "alarm": 0.0, "mode": 2.0}


class ListSink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def put(self, readings: Sequence[Reading]) -> None:
        self.readings += list(readings)


def bacnet_device(port: int, template: str = "bacnet-chiller", **connection: Any) -> dict[str, Any]:
    return {"id": "chiller-1", "protocol": "bacnet", "template": template, "poll_s": {"default": 1},
            "connection": {"host": "127.0.0.1", "port": port, "device_instance": 1101, "timeout_s": 0.3,
                           **connection}}


def pair(tmp_path: Path, faults: dict[str, Fault], template: dict[str, Any] | None = None,
         **connection: Any) -> tuple[BacnetEndpoint, BacnetPoller]:
    site = write_site(tmp_path, [bacnet_device(47808, **connection)])
    device = site.devices[0]
    t = site.template_of(device)
    if template:
        t = t.model_copy(update=template)
    assert isinstance(t, BacnetTemplate)
    endpoint = BacnetEndpoint(device, t, "127.0.0.1", 0, faults)
    connected = device.model_copy(update={"connection": device.connection.model_copy(update={"port": endpoint.port})})
    return endpoint, BacnetPoller(connected, t)


def values(batch: Sequence[Reading]) -> dict[str, float | None]:
    return {r.point_id.split(".", 1)[1]: r.value for r in batch}


def test_objects_per_request_follows_max_apdu_and_segmentation() -> None:
    assert objects_per_request(480, "no-segmentation") == 16  # (480 - 5) // 28
    assert [len(b) for b in batches(list(range(40)), 16)] == [16, 16, 8]
    assert objects_per_request(1476, "segmented-both") == 210  # min(4 * 1471 // 28, 4 * 1472 // 11)
    assert objects_per_request(1476, "segmented-receive") == 52  # the answer must fit one APDU: 1471 // 28
    assert objects_per_request(1476, "segmented-both", cap=5) == 5
    assert objects_per_request(50, "no-segmentation") == 1  # the smallest APDU still reads one object


def test_present_values_of_analog_binary_and_multistate_objects_in_one_request(tmp_path: Path) -> None:
    async def run() -> tuple[dict[str, float | None], dict[str, int], dict[str, int]]:
        endpoint, poller = pair(tmp_path, {}, cov=False)
        endpoint.update(CHILLER)
        await endpoint.start()
        try:
            batch = await poller.poll("default")
            return values(batch), dict(endpoint.requests), poller.health.requests_per_cycle
        finally:
            await poller.stop()
            await endpoint.stop()

    got, requests, per_cycle = asyncio.run(run())
    assert got == CHILLER  # analog as sent, binary active -> 1.0, multi-state state number 2
    assert per_cycle == {"default": 1}  # 9 objects fit one 1476-byte APDU
    assert requests["ReadPropertyMultipleRequest"] == 1
    assert not any("Write" in name for name in requests)  # read-only: the device never saw a write


def test_small_apdu_template_cap_splits_the_objects_into_batches(tmp_path: Path) -> None:
    async def run() -> tuple[dict[str, float | None], int, dict[str, int]]:
        endpoint, poller = pair(tmp_path, {}, {"max_objects_per_request": 4}, cov=False)
        endpoint.update(CHILLER)
        await endpoint.start()
        try:
            batch = await poller.poll("default")
            return values(batch), endpoint.requests["ReadPropertyMultipleRequest"], poller.health.requests_per_cycle
        finally:
            await poller.stop()
            await endpoint.stop()

    got, rpm, per_cycle = asyncio.run(run())
    assert got == CHILLER
    assert rpm == 3 and per_cycle == {"default": 3}  # 9 objects, 4 per request: 4 + 4 + 1


def test_status_flags_become_quality_out_of_service_keeps_value_fault_drops_it(tmp_path: Path) -> None:
    faults: dict[str, Fault] = {}

    async def run() -> tuple[list[Reading], list[Reading]]:
        endpoint, poller = pair(tmp_path, faults, cov=False)
        endpoint.update(CHILLER)
        await endpoint.start()
        try:
            faults["chiller-1"] = Fault("out_of_service")
            endpoint.update({**CHILLER, "electric_kw": 999.0})  # frozen: an out-of-service object keeps its value
            oos = list(await poller.poll("default"))
            faults["chiller-1"] = Fault("fault_flag")
            endpoint.update(CHILLER)
            faulted = list(await poller.poll("default"))
            return oos, faulted
        finally:
            await poller.stop()
            await endpoint.stop()

    oos, faulted = asyncio.run(run())
    assert {r.quality for r in oos} == {Quality.OUT_OF_SERVICE}
    assert values(oos)["electric_kw"] == 512.5
    assert {r.quality for r in faulted} == {Quality.DEVICE_ERROR}
    assert all(r.value is None for r in faulted)


def test_offline_device_is_comm_loss_in_the_same_cycle_then_backs_off_and_recovers(tmp_path: Path) -> None:
    async def run() -> tuple[list[Reading], float, str, list[Reading], list[Reading], str]:
        endpoint, poller = pair(tmp_path, {}, cov=False)
        endpoint.update(CHILLER)
        await endpoint.start()
        try:
            await poller.poll("default")
            await endpoint.stop()  # offline
            t0 = time.monotonic()
            lost = list(await poller.poll("default"))
            took = time.monotonic() - t0
            state = poller.health.state
            skipped = list(await poller.poll("default"))  # within the backoff: marked without asking
            await endpoint.start()
            poller.health.retry_at = 0.0  # the backoff has run out
            back = list(await poller.poll("default"))
            return lost, took, state, skipped, back, poller.health.state
        finally:
            await poller.stop()
            await endpoint.stop()

    lost, took, state, skipped, back, final = asyncio.run(run())
    assert {r.quality for r in lost} == {Quality.COMM_LOSS} and all(r.value is None for r in lost)
    assert took < 1.0  # timeout_s 0.3 (+ 0.5 s at most for bacpypes3's own timer), inside the 1 s interval
    assert state == "comm_loss"
    assert {r.quality for r in skipped} == {Quality.COMM_LOSS}
    assert values(back) == CHILLER and final == "ok"


def test_slow_fault_delays_each_answer_and_past_the_timeout_is_comm_loss(tmp_path: Path) -> None:
    faults: dict[str, Fault] = {}

    async def run() -> tuple[list[Reading], float, list[Reading], list[Reading], dict[str, int]]:
        endpoint, poller = pair(tmp_path, faults, cov=False, timeout_s=0.9)
        endpoint.update(CHILLER)
        await endpoint.start()
        try:
            await poller.poll("default")  # found and read before the fault
            faults["chiller-1"] = Fault("slow", {"delay_s": 0.4})  # within the 0.9 s timeout: late but answered
            t0 = time.monotonic()
            late = list(await poller.poll("default"))
            took = time.monotonic() - t0
            faults["chiller-1"] = Fault("slow", {"delay_s": 3.0})  # past it: the answer is lost to the collector
            lost = list(await poller.poll("default"))
            del faults["chiller-1"]
            await asyncio.sleep(3.0)  # the held request is answered late and dropped by the client
            poller.health.retry_at = 0.0
            back = list(await poller.poll("default"))
            return late, took, lost, back, dict(endpoint.requests)
        finally:
            await poller.stop()
            await endpoint.stop()

    late, took, lost, back, requests = asyncio.run(run())
    assert values(late) == CHILLER and {r.quality for r in late} == {Quality.GOOD}
    assert took >= 0.4  # every answer waits delay_s in the device (a lower bound: sleep never returns early)
    assert {r.quality for r in lost} == {Quality.COMM_LOSS}
    assert values(back) == CHILLER
    assert requests["ReadPropertyMultipleRequest"] >= 4  # the device saw every read, the lost one included


def test_cov_notifications_reach_the_sink_and_subscribed_objects_are_not_read_again(tmp_path: Path) -> None:
    sink = ListSink()

    async def run() -> tuple[list[Reading], dict[str, float | None], int, int]:
        endpoint, poller = pair(tmp_path, {})
        endpoint.update(CHILLER)
        await endpoint.start()
        await poller.start(sink)
        try:
            await poller.poll("default")  # meets the device, reads all, then subscribes every object beside
            deadline = time.monotonic() + 10
            while endpoint.requests.get("SubscribeCOVRequest", 0) < len(CHILLER) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # the initial notifications
            rpm_before = endpoint.requests["ReadPropertyMultipleRequest"]
            sink.readings.clear()
            endpoint.update({**CHILLER, "chw_supply_c": 7.75})
            await asyncio.sleep(0.3)
            notified = list(sink.readings)
            cycle = values(await poller.poll("default"))
            rpm = endpoint.requests["ReadPropertyMultipleRequest"] - rpm_before
            return notified, cycle, rpm, endpoint.requests.get("SubscribeCOVRequest", 0)
        finally:
            await poller.stop()
            await endpoint.stop()

    notified, cycle, rpm, subscribed = asyncio.run(run())
    assert subscribed == len(CHILLER)
    assert [(r.point_id, r.value) for r in notified] == [("chiller-1.chw_supply_c", 7.75)]
    assert cycle == {**CHILLER, "chw_supply_c": 7.75}  # the cycle repeats the notified values
    assert rpm == 1  # one liveness read of one object instead of the whole device


def test_unknown_object_marks_its_point_device_error_and_keeps_the_rest(tmp_path: Path) -> None:
    async def run() -> tuple[list[Reading], str]:
        endpoint, poller = pair(tmp_path, {}, cov=False)
        endpoint.update(CHILLER)
        del endpoint.objects["alarm"]  # the controller has no binary-value 1
        await endpoint.start()
        try:
            return list(await poller.poll("default")), poller.health.last_error
        finally:
            await poller.stop()
            await endpoint.stop()

    batch, error = asyncio.run(run())
    by = {r.point_id.split(".", 1)[1]: r for r in batch}
    assert by["alarm"].quality is Quality.DEVICE_ERROR and by["alarm"].value is None
    assert by["chw_supply_c"].quality is Quality.GOOD and by["chw_supply_c"].value == 6.5
    assert "binary-value,1" in error and "127.0.0.1" in error
    assert not math.isnan(by["mode"].value or math.nan)


def test_service_collects_simulated_bacnet_devices_and_marks_an_offline_one(tmp_path: Path) -> None:
    """The whole path: the simulator's BACnet controllers, the registry's pollers in the service, a sink. Each
    phase runs until its readings are in, not for a fixed time (a loaded host stretches every cycle)."""
    from collectors.service import CollectorService
    from simulators.site import SimulatedSite

    site = write_site(tmp_path, [  # 0.9 s: the most a 1 s poll allows; an I-Am gets half, twice
        {**bacnet_device(47808, timeout_s=0.9), "id": "chiller-1"},
        {**bacnet_device(47808, "bacnet-lighting"), "id": "lighting-f1",
         "connection": {"host": "127.0.0.1", "port": 47808, "device_instance": 1301, "timeout_s": 0.9}},
    ])
    sink = ListSink()

    def of(device: str) -> list[Reading]:
        return [r for r in list(sink.readings) if r.point_id.startswith(f"{device}.")]

    async def collect(service: CollectorService, done: Callable[[], bool]) -> dict[str, Any]:
        task = asyncio.ensure_future(service.run())
        deadline = time.monotonic() + 60
        while not done():
            assert time.monotonic() < deadline and not task.done(), "the readings did not come within 60 s"
            await asyncio.sleep(0.05)
        status = service.status()
        await service.stop()
        await task
        return status

    wanted = {"chiller-1.chw_supply_c", "lighting-f1.power_kw", "lighting-f1.scene"}
    with SimulatedSite(site, ports={"chiller-1": 0, "lighting-f1": 0}, publish_mqtt=False) as sim:
        assert sim.bacnet["chiller-1"].port != sim.bacnet["lighting-f1"].port  # one port each
        status = asyncio.run(collect(CollectorService(sim.site, sink), lambda: wanted <= {
            r.point_id for r in list(sink.readings) if r.quality is Quality.GOOD}))
        assert {d["device"]: d["protocol"] for d in status["devices"]} == {"chiller-1": "bacnet",
                                                                           "lighting-f1": "bacnet"}
        sim.fault("chiller-1", "comm_loss")
        sink.readings.clear()
        # the offline chiller marked twice, and the lighting read twice meanwhile
        asyncio.run(collect(CollectorService(sim.site, sink), lambda: len({r.ts for r in of("chiller-1")}) >= 2
                            and len({r.ts for r in of("lighting-f1")}) >= 2))
    assert {r.quality for r in of("chiller-1")} == {Quality.COMM_LOSS}
    assert {r.quality for r in of("lighting-f1")} == {Quality.GOOD}


def test_bacnet_faults_fit_only_bacnet_devices(site: Any) -> None:
    from models.errors import FaultError
    from simulators.faults import check_fault

    assert check_fault(site.device("ahu-1"), "out_of_service", {}).kind == "out_of_service"
    try:
        check_fault(site.device("grid-meter-1"), "fault_flag", {})
    except FaultError as exc:
        assert "grid-meter-1 speaks Modbus: fault 'fault_flag' needs a BACnet/IP device" in str(exc)
    else:
        raise AssertionError("a Modbus meter accepted a BACnet fault")


def test_check_config_counts_devices_by_protocol(site_file: Path) -> None:
    from typer.testing import CliRunner

    from zerocarbon.cli import app

    result = CliRunner().invoke(app, ["check-config", str(site_file)])
    assert result.exit_code == 0, result.output
    assert "66 devices (8 BACnet/IP, 40 Modbus, 18 MQTT)" in result.output
