"""MQTT side of the simulated site: JSON payloads built from each template's paths, published with paho at QoS 1.

Runs in its own thread. Faults act here for MQTT devices: ``comm_loss`` stops publishing, ``slow`` holds each
message back by ``delay_s``, ``malformed_payload`` sends non-JSON, wrong types or a payload missing its fields.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from models.site import Device, MqttConnection, Site
from models.template import MqttTemplate
from simulators.faults import Fault
from simulators.registers import Value

log = logging.getLogger(__name__)
_STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _set_path(payload: dict[str, Any], path: str, value: Any) -> None:
    """Place ``value`` at a dotted path with optional list indexes, e.g. ``chw.supply[0].temp``."""
    node: Any = payload
    steps = path.split(".")
    for n, step in enumerate(steps):
        match = _STEP.match(step)
        if match is None:
            raise ValueError(f"payload path {path!r}: step {step!r} is not name or name[index]")
        name, indexes = match.group(1), [int(i) for i in re.findall(r"\d+", match.group(2))]
        last = n == len(steps) - 1
        if not indexes:
            if last:
                node[name] = value
                return
            node = node.setdefault(name, {})
            continue
        node = node.setdefault(name, [])
        for k, index in enumerate(indexes):
            while len(node) <= index:
                node.append(None)
            if last and k == len(indexes) - 1:
                node[index] = value
                return
            if node[index] is None:
                node[index] = [] if k < len(indexes) - 1 else {}
            node = node[index]


def build_payload(template: MqttTemplate, values: dict[str, Value], ts: float) -> dict[str, Any]:
    """The JSON object a gateway publishes: each point at its path, in the template's units and scale."""
    payload: dict[str, Any] = {}
    if template.timestamp_path:
        _set_path(payload, template.timestamp_path, round(ts, 3))
    for p in template.points:
        value = values.get(p.name)
        if isinstance(value, float):
            value = round((value - p.offset) / p.scale, 3)
            if p.unit == "count":
                value = int(round(value))
        _set_path(payload, p.path, value)
    return payload


def malformed(template: MqttTemplate, values: dict[str, Value], ts: float, style: str) -> bytes:
    if style == "wrong_types":
        good = build_payload(template, values, ts)
        return json.dumps(_stringify(good, ts_path=template.timestamp_path)).encode()
    if style == "missing_fields":
        return json.dumps({template.timestamp_path or "ts": ts}).encode()
    return b'{"power_kw": 12.5, "devices": {online: 3'  # truncated, unquoted key: not JSON


def _stringify(node: Any, ts_path: str | None) -> Any:
    if isinstance(node, dict):
        return {k: (v if k == ts_path else _stringify(v, ts_path)) for k, v in node.items()}
    if isinstance(node, list):
        return [_stringify(v, ts_path) for v in node]
    return f"{node} units" if isinstance(node, (int, float)) else node


def topic_of(template: MqttTemplate, device: Device) -> str:
    assert isinstance(device.connection, MqttConnection)
    return template.topic.replace("{topic}", device.connection.topic)


class MqttPublisher:
    """Publishes every MQTT device of the site every ``publish_s`` seconds from ``snapshot()``."""

    def __init__(
        self,
        site: Site,
        host: str,
        port: int,
        snapshot: Callable[[], tuple[float, dict[str, dict[str, Value]]]],
        faults: dict[str, Fault],
        publish_s: float = 5.0,
    ) -> None:
        self.site = site
        self.devices = [d for d in site.devices if d.protocol == "mqtt"]
        self.publish_s = publish_s
        self.published = 0
        self._snapshot = snapshot
        self._faults = faults
        self._held: list[tuple[float, str, bytes]] = []
        self._stop = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"zerocarbon-sim-{port}-{id(self)}")
        broker = site.mqtt
        if broker.username:  # a production broker refuses anonymous gateways (deploy/mosquitto.conf)
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set(ca_certs=broker.ca_file)
        self._host, self._port = host, port
        self._thread = threading.Thread(target=self._run, name="sim-mqtt", daemon=True)

    def start(self) -> None:
        """Connect in the background: a broker that is down now is retried, and gateways publish once it is up."""
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()
        self._thread.start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s:%s refused the simulator: %s", self._host, self._port, reason)
        else:
            log.info("simulated gateways publishing to %s:%s", self._host, self._port)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not self._stop.is_set():
            log.warning("MQTT broker %s:%s lost (%s); the simulated gateways retry (start mosquitto or set "
                        "ZEROCARBON_MQTT_HOST/PORT)", self._host, self._port, reason)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._client.disconnect()
        self._client.loop_stop()

    def _run(self) -> None:
        next_cycle = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_cycle:
                self.publish_all()
                next_cycle = now + self.publish_s
            self._release_held(now)
            self._stop.wait(min(0.05, self.publish_s))

    def publish_all(self) -> None:
        ts, values = self._snapshot()
        for device in self.devices:
            fault = self._faults.get(device.id)
            if fault is not None and fault.kind == "comm_loss":
                continue
            template = self.site.template_of(device)
            assert isinstance(template, MqttTemplate)
            body = self._body(template, values.get(device.id, {}), ts, fault)
            if fault is not None and fault.kind == "slow":
                self._held.append((time.monotonic() + float(fault.param("delay_s")), topic_of(template, device), body))
            else:
                self._send(topic_of(template, device), body)

    def _body(self, template: MqttTemplate, values: dict[str, Value], ts: float, fault: Fault | None) -> bytes:
        if fault is not None and fault.kind == "malformed_payload":
            return malformed(template, values, ts, str(fault.param("style")))
        return json.dumps(build_payload(template, values, ts)).encode()

    def _release_held(self, now: float) -> None:
        due = [h for h in self._held if h[0] <= now]
        self._held = [h for h in self._held if h[0] > now]
        for _, topic, body in due:
            self._send(topic, body)

    def _send(self, topic: str, body: bytes) -> None:
        if not self._client.is_connected():
            return  # a gateway whose uplink is down loses its readings; collectors see comm loss
        info = self._client.publish(topic, body, qos=1)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.published += 1
