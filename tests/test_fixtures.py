"""The real servers the suite runs against answer real clients."""

from __future__ import annotations

import json
import threading

import httpx
import paho.mqtt.client as mqtt
from pymodbus.client import ModbusTcpClient

from tests.support.modbus import RegisterServer
from tests.support.processes import Influxd, Mosquitto


def test_mosquitto_delivers_a_published_message(mosquitto: Mosquitto) -> None:
    got: list[bytes] = []
    done = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = lambda c, u, m: (got.append(m.payload), done.set())
    sub.connect("127.0.0.1", mosquitto.port)
    sub.subscribe("fixture/#", qos=1)
    sub.loop_start()
    try:
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        for _ in range(50):  # until the subscription is in place
            pub.publish("fixture/a", json.dumps({"kw": 1.5}), qos=1).wait_for_publish(2)
            if done.wait(0.1):
                break
        pub.loop_stop()
    finally:
        sub.loop_stop()
    assert json.loads(got[0]) == {"kw": 1.5}


def test_influxd_speaks_the_v1_api(influxd: Influxd) -> None:
    influxd.create_database("fixture")
    r = httpx.post(
        f"{influxd.url}/write",
        params={"db": "fixture", "precision": "s"},
        content=b"power,meter=m1 kw=2.5 1767225600\npower,meter=m1 kw=3.5 1767225660\n",
    )
    assert r.status_code == 204
    result = influxd.query("fixture", "SELECT sum(kw) FROM power")
    assert result["results"][0]["series"][0]["values"][0][1] == 6.0  # type: ignore[index]
    assert httpx.get(f"{influxd.url}/ping").headers["X-Influxdb-Version"].startswith("1.")


def test_register_server_serves_and_counts_reads(register_server: RegisterServer) -> None:
    register_server.set_registers(40000, [0x5375, 0x6E53])
    client = ModbusTcpClient("127.0.0.1", port=register_server.port)
    assert client.connect()
    try:
        r = client.read_holding_registers(40000, count=2, device_id=1)
        assert r.registers == [0x5375, 0x6E53]
        register_server.exception_code = __import__("pymodbus.constants").constants.ExcCodes.ILLEGAL_ADDRESS
        r = client.read_holding_registers(0, count=1, device_id=1)
        assert r.isError()
    finally:
        client.close()
    assert register_server.requests[3] == 2
