"""The demo's embedded broker listens on loopback only and carries QoS 1 messages."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import pytest

from tests.support.processes import free_port
from zerocarbon.embedded_broker import EmbeddedBroker


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, hexport = local.split(":")
                if state == "0A" and int(hexport, 16) == port:  # 0A = LISTEN
                    found.add(addr)
    return found


def test_embedded_broker_binds_loopback_only_and_delivers() -> None:
    port = free_port()
    broker = EmbeddedBroker(port).start()
    try:
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex; no 0.0.0.0
        got = threading.Event()
        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        sub.on_message = lambda c, u, m: got.set()
        sub.connect("127.0.0.1", port)
        sub.subscribe("demo/#", qos=1)
        sub.loop_start()
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.connect("127.0.0.1", port)
        pub.loop_start()
        for _ in range(40):
            pub.publish("demo/x", b"{}", qos=1)
            if got.wait(0.1):
                break
        pub.loop_stop()
        sub.loop_stop()
        assert got.is_set()
    finally:
        broker.stop()


def test_embedded_broker_refuses_a_public_bind() -> None:
    with pytest.raises(ValueError, match="loopback only"):
        EmbeddedBroker(1883, host="0.0.0.0")
