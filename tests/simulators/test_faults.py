"""Every fault behaves as named, seen through real clients."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from models.errors import FaultError
from models.site import ModbusConnection
from simulators.site import SimulatedSite
from tests.simulators.helpers import Subscriber, int16, modbus_client, read
from tests.support.processes import Mosquitto

M103 = 40070


def _port(sim: SimulatedSite, device_id: str) -> int:
    conn = sim.site.device(device_id).connection
    assert isinstance(conn, ModbusConnection)
    return conn.port


def test_comm_loss_closes_the_port_until_cleared(sim: SimulatedSite) -> None:
    sim.fault("pv-inv-03", "comm_loss")
    client = ModbusTcpClient("127.0.0.1", port=_port(sim, "pv-inv-03"), timeout=0.5, retries=0)
    assert not client.connect()
    sim.clear_fault("pv-inv-03")
    assert client.connect()
    assert read(client, 40000, 2) == [0x5375, 0x6E53]
    client.close()


def test_silent_comm_loss_accepts_but_never_answers(sim: SimulatedSite) -> None:
    sim.fault("meter-lighting", "comm_loss", mode="silent")
    client = modbus_client(sim.site, "meter-lighting", timeout_s=0.5)  # the port still accepts
    try:
        with pytest.raises(ModbusException):  # ... but the request times out: a dead device behind a gateway
            client.read_holding_registers(0, count=2, device_id=1)
    finally:
        client.close()


def test_slow_device_answers_after_the_delay(sim: SimulatedSite) -> None:
    sim.fault("grid-meter-2", "slow", delay_s=0.6)
    client = modbus_client(sim.site, "grid-meter-2", timeout_s=3.0)
    try:
        began = time.monotonic()
        read(client, 4, 2)
        elapsed = time.monotonic() - began
    finally:
        client.close()
    assert elapsed >= 0.55


def test_exception_fault_returns_the_modbus_code(sim: SimulatedSite) -> None:
    sim.fault("storage-1", "exception", code=6)
    client = modbus_client(sim.site, "storage-1")
    try:
        response = client.read_holding_registers(0, count=6, device_id=1)
    finally:
        client.close()
    assert response.isError() and response.exception_code == 6  # SLAVE DEVICE BUSY


def test_inverter_fault_sets_state_and_event_bits(sim: SimulatedSite) -> None:
    sim.fault("pv-inv-05", "inverter_fault", events=["OVER_TEMP", "GROUND_FAULT"])
    client = modbus_client(sim.site, "pv-inv-05")
    try:
        block = read(client, M103 + 2, 42)
    finally:
        client.close()
    assert block[12] == 0  # W: a faulted inverter exports nothing
    assert block[36] == 7  # St = FAULT
    evt1 = block[38] << 16 | block[39]
    assert evt1 == (1 << 7) | (1 << 0)  # OVER_TEMP (bit 7) + GROUND_FAULT (bit 0)


def ticks_later(sim: SimulatedSite, ticks: int, deadline_s: float = 30.0) -> None:
    """Return once the simulator has ticked ``ticks`` times since now (a loaded host stretches tick_s)."""
    since = sim.snapshot()[0]
    deadline = time.monotonic() + deadline_s
    while sim.snapshot()[0] < since + ticks * sim.tick_s:
        assert time.monotonic() < deadline, f"the simulator did not tick {ticks} times in {deadline_s} s"
        time.sleep(0.02)


def test_stuck_device_repeats_the_same_registers(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "meter-chiller-plant")
    try:
        first = read(client, 0, 12) + read(client, 100, 4)
        ticks_later(sim, 3)
        moving = read(client, 0, 12) + read(client, 100, 4)
        sim.fault("meter-chiller-plant", "stuck")
        frozen = read(client, 0, 12) + read(client, 100, 4)
        ticks_later(sim, 3)
        still = read(client, 0, 12) + read(client, 100, 4)
    finally:
        client.close()
    assert moving != first, "a healthy meter's readings move between ticks"
    assert still == frozen


def test_counter_reset_restarts_the_counter_from_zero(sim: SimulatedSite) -> None:
    before = float(sim.values("meter-lighting")["import_kwh"])  # type: ignore[arg-type]
    sim.fault("meter-lighting", "counter_reset")
    client = modbus_client(sim.site, "meter-lighting")
    try:
        hi, lo = read(client, 100, 2)
    finally:
        client.close()
    after = (hi << 16 | lo) * 0.01
    assert before > 1000 and after < 1.0


def test_wind_turbine_fault_reports_its_code(sim: SimulatedSite) -> None:
    sim.fault("wind-turbine-2", "inverter_fault", code=205)
    client = modbus_client(sim.site, "wind-turbine-2")
    try:
        block = read(client, 0, 6)
    finally:
        client.close()
    assert (block[4], block[5]) == (4, 205)  # state FAULT, fault_code 205
    assert int16(block[0]) == 0 and block[1] == 0


def test_malformed_payloads_reach_subscribers(sim: SimulatedSite, mosquitto: Mosquitto) -> None:
    subscriber = Subscriber(mosquitto.port, "zc/#")
    try:
        sim.fault("lighting-gateway", "malformed_payload")
        broken = _first(subscriber, "zc/lighting/status", lambda body: not _is_json(body))
        sim.fault("lighting-gateway", "malformed_payload", style="wrong_types")
        wrong = json.loads(_first(subscriber, "zc/lighting/status", lambda body: b"units" in body))
    finally:
        subscriber.close()
    assert broken.startswith(b"{") and not _is_json(broken)
    assert isinstance(wrong["power_kw"], str) and isinstance(wrong["ts"], float)  # the time stays a number


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except json.JSONDecodeError:
        return False
    return True


def _first(subscriber: Subscriber, topic: str, shows_fault: Callable[[bytes], bool]) -> bytes:
    """The first message on ``topic`` that shows the fault (a good one may have been in flight when it was set)."""
    for _ in range(4):
        payload = subscriber.next_on(topic)
        if shows_fault(payload):
            return payload
    raise AssertionError(f"no faulty payload on {topic} in 4 messages")


def test_mqtt_comm_loss_stops_publishing(sim: SimulatedSite, mosquitto: Mosquitto) -> None:
    assert sim.publisher is not None
    sim.fault("parking-guidance", "comm_loss")
    subscriber = Subscriber(mosquitto.port, "zc/#")
    try:
        subscriber.next_on("zc/queue/queue", timeout_s=30)  # the broker and the other gateways still talk
        # One publisher connection delivers in order: a parking message of a cycle in flight at the fault came
        # before this queue message, so what comes from now on is after the fault.
        subscriber.next_on("zc/queue/queue", timeout_s=30)
        subscriber.drain()
        with pytest.raises(AssertionError, match="nothing on"):
            subscriber.next_on("zc/parking/occupancy", timeout_s=sim.publisher.publish_s * 3)
    finally:
        subscriber.close()


def test_faults_that_do_not_fit_the_device_are_refused(sim: SimulatedSite) -> None:
    with pytest.raises(FaultError, match="needs a Modbus device"):
        sim.fault("chiller-plant", "exception")
    with pytest.raises(FaultError, match="no fault state"):
        sim.fault("grid-meter-1", "inverter_fault")
    with pytest.raises(FaultError, match="unknown fault 'melt'"):
        sim.fault("grid-meter-1", "melt")
    with pytest.raises(KeyError, match="no device 'pv-inv-99'"):
        sim.fault("pv-inv-99", "stuck")


def test_slow_gateway_messages_arrive_late(sim: SimulatedSite, mosquitto: Mosquitto) -> None:
    sim.fault("env-office", "slow", delay_s=1.5)
    subscriber = Subscriber(mosquitto.port, "zc/env/office/env")
    try:
        subscriber.drain()
        lags = []
        for _ in range(3):
            payload = subscriber.next_json("zc/env/office/env", timeout_s=6)
            lags.append(sim.now() - payload["ts"])  # simulated clock runs at wall speed here
    finally:
        subscriber.close()
    assert lags[-1] >= 1.4  # held back by the delay (only a message in flight at the fault may be on time)
