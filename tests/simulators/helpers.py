"""Small real-client helpers for the simulator tests: a pymodbus client and a paho subscriber."""

from __future__ import annotations

import json
import queue
import struct
import time
from typing import Any

import paho.mqtt.client as mqtt
from pymodbus.client import ModbusTcpClient

from models.site import ModbusConnection, Site


def modbus_client(site: Site, device_id: str, timeout_s: float = 1.0) -> ModbusTcpClient:
    conn = site.device(device_id).connection
    assert isinstance(conn, ModbusConnection)
    client = ModbusTcpClient("127.0.0.1", port=conn.port, timeout=timeout_s, retries=0)
    assert client.connect(), f"{device_id} did not accept a connection on {conn.port}"
    return client


def read(client: ModbusTcpClient, address: int, count: int, table: str = "holding") -> list[int]:
    call = client.read_input_registers if table == "input" else client.read_holding_registers
    response = call(address, count=count, device_id=1)
    assert not response.isError(), response
    return list(response.registers)


def float32(words: list[int]) -> float:
    return float(struct.unpack(">f", struct.pack(">2H", *words))[0])


def int16(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


class Subscriber:
    """A paho subscriber collecting (topic, raw payload) pairs."""

    def __init__(self, port: int, topic: str = "zc/#") -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def next_on(self, topic: str, timeout_s: float = 5.0) -> bytes:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                got_topic, payload = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if got_topic == topic:
                return payload
        raise AssertionError(f"nothing on {topic} within {timeout_s}s")

    def next_json(self, topic: str, timeout_s: float = 5.0) -> dict[str, Any]:
        return dict(json.loads(self.next_on(topic, timeout_s)))

    def drain(self) -> None:
        while not self.messages.empty():
            self.messages.get_nowait()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
