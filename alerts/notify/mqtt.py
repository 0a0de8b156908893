"""MQTT channel: each notification as JSON on a topic such as ``zerocarbon/alarms/{priority}/{device}``."""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt

from alerts.notify.message import Notification
from alerts.rules import MqttChannel


class MqttSender:
    def __init__(
        self,
        config: MqttChannel,
        host: str,
        port: int,
        client_id: str = "zerocarbon-alarms",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.config, self.host, self.port, self.timeout_s = config, host, port, timeout_s
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if username:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(1, 30)
        self._client.connect_async(host, port, keepalive=30)  # connects (and reconnects) in its own loop
        self._client.loop_start()

    def topic(self, note: Notification) -> str:
        return self.config.topic.format(
            priority=note.priority, device=note.device, rule=note.rule_id, event=note.event, alarm_id=note.alarm_id
        )

    def __call__(self, note: Notification) -> None:
        deadline = time.monotonic() + self.timeout_s
        while not self._client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)  # give the first connect (or a reconnect) a chance before QoS 0 is lost
        info = self._client.publish(self.topic(note), json.dumps(note.as_json()), qos=self.config.qos)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            reason = mqtt.error_string(info.rc)
            raise RuntimeError(f"MQTT {self.host}:{self.port} refused alarm {note.alarm_id}: {reason}")
        if self.config.qos and info.rc == mqtt.MQTT_ERR_SUCCESS:
            info.wait_for_publish(self.timeout_s)  # paho keeps QoS>0 messages queued across a broker outage

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
