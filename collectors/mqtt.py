"""MQTT acquisition: subscribe to the gateways' topics, map JSON payloads to points, never lose or choke.

QoS 1 with a persistent session (``clean_session=False`` on MQTT 3.1.1, a session expiry on MQTT 5), so the
broker keeps what is published while the collector is down. Readings are put into the sink (the spool)
before their messages are acknowledged: a message is either in the spool or will be redelivered.

Two clients. The default is the lean MQTT 3.1.1 subscriber of :mod:`collectors.mqtt_wire`: it parses every
PUBLISH of a 64 KiB read and acknowledges the batch with one write, ~10 µs of CPU per message. paho
(``client="paho"``, and always for MQTT 5) costs ~25 µs per message before any mapping, so its network thread
only queues messages and a worker maps them in batches and acknowledges them (``manual_ack``). Measured in
bench/bench_collectors.py: on a 100k QoS 1 backlog the lean client drains ~2x faster than bare paho.

Payloads are parsed strictly, the same for both clients (:mod:`collectors.mqtt_payload`). Bad payloads (not
UTF-8, not strict JSON, too deep, duplicate keys, NaN, not an object, too big, unknown topic, a time outside
the window, missing fields, wrong types) are counted by kind, logged once per kind, and kept with their raw
bytes (bounded) in a dead-letter file; the good fields of a partly bad payload are still collected. Several
collector processes can share one subscription (``shared_group``: MQTT ``$share/<group>/...``, served by
mosquitto 2), so the broker spreads messages.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from collectors.jsonpath import lookup
from collectors.mqtt_mapping import DeadLetters, Route, TimestampWindow, map_fields, parse_timestamp
from collectors.mqtt_payload import MAX_DEPTH, parse_payload
from collectors.mqtt_wire import WireSubscriber, run_in_thread, tls_context
from models.errors import PayloadRejected
from models.reading import Quality, Reading, ReadingSink
from models.site import Device, MqttConnection, Site
from models.template import MqttTemplate

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 256 * 1024


def subscriptions(topics: Sequence[str]) -> list[str]:
    """One wildcard for a shared first level (so unknown topics there are seen and dead-lettered),
    else each topic."""
    firsts = {t.split("/", 1)[0] for t in topics}
    if len(firsts) == 1 and all("/" in t for t in topics):
        return [f"{firsts.pop()}/#"]
    return sorted(topics)


class MqttCollector:
    def __init__(
        self,
        site: Site,
        devices: Sequence[Device],
        sink: ReadingSink,
        *,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        tls: bool | None = None,
        ca_file: str | None = None,
        client_id: str | None = None,
        shared_group: str | None = None,
        protocol: int = 4,
        dead_letter_path: Path | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        client: str = "wire",
        max_depth: int = MAX_DEPTH,
        timestamp_window: TimestampWindow | None = None,
    ) -> None:
        broker = site.mqtt
        self.host, self.port = host or broker.host, port or broker.port
        self.devices = list(devices)
        self.routes: dict[str, Route] = {}
        for d in self.devices:
            template = site.template_of(d)
            assert isinstance(template, MqttTemplate) and isinstance(d.connection, MqttConnection)
            self.routes[template.topic.replace("{topic}", d.connection.topic)] = Route(d, template)
        self.sink = sink
        self._inbox: queue.SimpleQueue[tuple[str, bytes, float, int, int] | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self.max_payload_bytes = max_payload_bytes
        self.max_depth = max_depth
        self.window = timestamp_window or TimestampWindow()
        self.dead = DeadLetters(dead_letter_path)
        self.suspect: dict[str, int] = {}  # device -> readings outside their point's range
        self.received = 0
        self.readings = 0
        self.last_message: dict[str, float] = {}
        topics = subscriptions(list(self.routes))
        self.topics = [f"$share/{shared_group}/{t}" for t in topics] if shared_group else topics
        self.client = self._client(client_id or broker.client_id, protocol)
        use_tls = broker.tls if tls is None else tls
        self._auth(username or broker.username, password or broker.password, use_tls, ca_file or broker.ca_file)
        self.wire: WireSubscriber | None = None
        if client == "wire" and protocol == 5:
            log.info("MQTT 5 asked for: using paho (the lean client speaks MQTT 3.1.1)")
        elif client == "wire":  # the lean MQTT 3.1.1 subscriber (collectors/mqtt_wire.py): 2x paho on backlogs
            self.wire = WireSubscriber(
                self.host, self.port, client_id or broker.client_id, self.topics, self._map_wire_batch,
                username=username or broker.username, password=password or broker.password,
                tls=tls_context(ca_file or broker.ca_file) if use_tls else None,
            )
        self._stop_wire: Any = None

    def _client(self, client_id: str, protocol: int) -> mqtt.Client:
        if protocol == 5:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
            )
        else:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False, manual_ack=True
            )
        self.protocol = protocol
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.reconnect_delay_set(1, 30)
        return client

    def _auth(self, username: str | None, password: str | None, tls: bool, ca_file: str | None) -> None:
        if username:
            self.client.username_pw_set(username, password)
        if tls:
            self.client.tls_set(ca_certs=ca_file)

    def start(self) -> None:
        """Connect in the background (paho's network thread); reconnects by itself."""
        if self.wire is not None:
            _, self._stop_wire = run_in_thread(self.wire)
            return
        self._worker = threading.Thread(target=self._work, name="mqtt-mapper", daemon=True)
        self._worker.start()
        if self.protocol == 5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 7 * 24 * 3600  # keep our queue for a week of downtime
            self.client.connect_async(self.host, self.port, clean_start=False, properties=props)
        else:
            self.client.connect_async(self.host, self.port)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect, then map what was queued; unacknowledged messages come again next session."""
        if self._stop_wire is not None:
            self._stop_wire()
            return
        self.client.disconnect()
        self.client.loop_stop()
        self._inbox.put(None)
        if self._worker is not None:
            self._worker.join(30)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s", self.host, self.port, reason)
            return
        client.subscribe([(t, 1) for t in self.topics])
        log.info("subscribed to %s on %s:%d", ", ".join(self.topics), self.host, self.port)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        # bytes() of a bytes object is that object (no copy); paho types the payload bytes | bytearray
        self._inbox.put((msg.topic, bytes(msg.payload), time.time(), msg.mid, msg.qos))  # the network thread moves on

    def _work(self, max_batch: int = 2000) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            batch = [first]
            try:
                while len(batch) < max_batch:
                    item = self._inbox.get_nowait()
                    if item is None:
                        self._inbox.put(None)  # finish this batch, then stop
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._map_batch(batch)

    def _map_batch(self, batch: list[tuple[str, bytes, float, int, int]]) -> None:
        if self._spool([(topic, payload, received) for topic, payload, received, _, _ in batch]):
            for _, _, _, mid, qos in batch:
                if qos:
                    self.client.ack(mid, qos)

    def _map_wire_batch(self, batch: list[tuple[str, bytes, int, int]]) -> bool:
        now = time.time()
        return self._spool([(topic, payload, now) for topic, payload, _, _ in batch])

    def _spool(self, messages: list[tuple[str, bytes, float]]) -> bool:
        """Map messages and put their readings into the sink; False when the sink refused them (then they
        are not acknowledged and the broker sends them again)."""
        readings: list[Reading] = []
        for topic, payload, received in messages:
            try:
                readings += self.handle(topic, payload, received)
            except Exception as exc:  # never let one message kill the mapper
                self.dead.add(topic, "internal_error", repr(exc), payload)
        try:
            if readings:
                self.sink.put(readings)
        except Exception:
            log.exception("the reading sink refused %d readings; they will be redelivered", len(readings))
            return False
        return True

    def handle(self, topic: str, payload: bytes, received: float) -> list[Reading]:
        """Readings of one message (public so tests and benchmarks can drive it without a broker)."""
        self.received += 1
        route = self.routes.get(topic)
        if route is None:
            self.dead.add(topic, "unknown_topic", "no device uses this topic", payload)
            return []
        if len(payload) > self.max_payload_bytes:
            self.dead.add(topic, "huge", f"{len(payload)} bytes > {self.max_payload_bytes}", payload)
            return []
        try:
            data = parse_payload(payload, self.max_depth)
        except PayloadRejected as exc:
            self.dead.add(topic, exc.kind, exc.detail, payload)
            return []
        ts = self._timestamp(route, data, received, topic, payload)
        if ts is None:
            return []
        readings, problems = map_fields(route, data, ts)
        for kind, detail in problems[:1]:
            self.dead.add(topic, kind, detail, payload)
        suspect = sum(1 for r in readings if r.quality is Quality.SUSPECT)
        if suspect:
            self.suspect[route.device] = self.suspect.get(route.device, 0) + suspect
        self.readings += len(readings)
        self.last_message[route.device] = received
        return readings

    def _timestamp(
        self, route: Route, data: dict[str, Any], received: float, topic: str, payload: bytes
    ) -> float | None:
        if route.ts_path is None:
            return received
        raw = lookup(data, route.ts_path)
        if raw is None:
            return received
        ts = parse_timestamp(raw)
        if ts is None:
            self.dead.add(topic, "bad_timestamp", f"{route.template.timestamp_path}={raw!r}", payload)
            return None
        problem = self.window.problem(ts, received)
        if problem is not None:
            self.dead.add(topic, problem[0], f"{route.template.timestamp_path}={raw!r}: {problem[1]}", payload)
            return None
        return ts

    def stats(self) -> dict[str, Any]:
        return {"received": self.received, "readings": self.readings, "dead_letters": dict(self.dead.counts),
                "suspect_readings": dict(self.suspect), "subscriptions": self.topics}

    def is_connected(self) -> bool:
        return self.wire.connected if self.wire is not None else self.client.is_connected()

    def device_status(self) -> list[dict[str, Any]]:
        return [
            {"device": d.id, "protocol": "mqtt", "state": "ok" if d.id in self.last_message else "waiting",
             "last_value_ts": self.last_message.get(d.id), "suspect_readings": self.suspect.get(d.id, 0)}
            for d in self.devices
        ]
