"""The weather-forecast feed: an MQTT topic carrying day-ahead irradiance and air temperature, parsed as strictly
as the gateways' payloads and handed to a keeper (the wiring passes ``storage.weather_forecasts``).

One message is one whole forecast, published retained at QoS 1 so a listener that starts late still gets the
latest one::

    {"issued": "2026-12-04T18:00:00+08:00", "source": "…", "start": "2026-12-05T00:00:00+08:00",
     "step_minutes": 15, "ghi_wm2": [96 numbers, W/m²], "temp_c": [96 numbers, °C]}

Strict JSON first (:func:`collectors.mqtt_payload.parse_payload`: UTF-8, no duplicate keys, no NaN, bounded
nesting), then the fields. A bad payload is a dead letter of a named kind, in the same file format as the
gateways' (:class:`collectors.mqtt_mapping.DeadLetters`), and the feed keeps running; nothing of a bad forecast
is kept (half a forecast would plan a day on a guess):

``missing_field``, ``wrong_type``, ``bad_timestamp`` (not ISO 8601 with a zone), ``bad_step`` (not 15, 30 or 60
minutes), ``length_mismatch`` (the series differ in length, are empty or longer than a week), ``not_finite``,
``out_of_range`` (GHI outside 0-1500 W/m², temperature outside −40-60 °C), ``huge``, plus the parser's kinds;
``not_kept`` when the keeper cannot write it (disk), ``internal_error`` for a fault of ours (logged with its
traceback).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion

from collectors.mqtt_mapping import DeadLetters
from collectors.mqtt_payload import parse_payload
from models.errors import PayloadRejected
from models.site import MqttBroker
from models.weather_forecast import WeatherForecast

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024  # a week at 15 minutes is ~15 KiB of JSON
STEPS = (15, 30, 60)
MAX_VALUES = 7 * 96
LIMITS = {"ghi_wm2": (0.0, 1500.0), "temp_c": (-40.0, 60.0)}  # above the solar constant, or off the planet


def _field(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise PayloadRejected("missing_field", f"{key!r} is missing")
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise PayloadRejected("wrong_type", f"{key!r} is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
    return value


def _time(data: dict[str, Any], key: str) -> pd.Timestamp:
    raw = _field(data, key, str)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadRejected("bad_timestamp", f"{key!r} = {raw[:40]!r} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise PayloadRejected("bad_timestamp", f"{key!r} = {raw[:40]!r} has no zone; add +08:00 or Z")
    return pd.Timestamp(parsed)


def _series(data: dict[str, Any], key: str) -> list[float]:
    values = _field(data, key, list)
    low, high = LIMITS[key]
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PayloadRejected("wrong_type", f"{key}[{i}] is {type(v).__name__}, not a number")
        if not math.isfinite(v):
            raise PayloadRejected("not_finite", f"{key}[{i}] is beyond a double")
        if not low <= v <= high:
            raise PayloadRejected("out_of_range", f"{key}[{i}] = {v} is outside {low:g}..{high:g}")
    return [float(v) for v in values]


def parse_forecast(payload: bytes) -> WeatherForecast:
    """The forecast in one payload, or :class:`PayloadRejected` naming the kind and the field."""
    if len(payload) > MAX_BYTES:
        raise PayloadRejected("huge", f"{len(payload)} bytes (> {MAX_BYTES})")
    data = parse_payload(payload)
    issued, start = _time(data, "issued"), _time(data, "start")
    step = _field(data, "step_minutes", int)
    if step not in STEPS:
        raise PayloadRejected("bad_step", f"step_minutes = {step}; use one of {STEPS}")
    source = _field(data, "source", str)[:200]
    ghi, temp = _series(data, "ghi_wm2"), _series(data, "temp_c")
    if len(ghi) != len(temp) or not 0 < len(ghi) <= MAX_VALUES:
        raise PayloadRejected("length_mismatch", f"{len(ghi)} GHI and {len(temp)} temperature values "
                                                 f"(equal, 1..{MAX_VALUES})")
    index = pd.date_range(start, periods=len(ghi), freq=f"{step}min")
    return WeatherForecast(issued, source, pd.DataFrame({"ghi_wm2": ghi, "temp_c": temp}, index=index))


class WeatherFeed:
    """Subscribe to one forecast topic and hand each good forecast to ``keep``; paho's network thread reconnects."""

    def __init__(self, broker: MqttBroker, topic: str, keep: Callable[[WeatherForecast], object],
                 dead_letter_path: Path | None, client_id: str = "zerocarbon-weather-feed",
                 port: int | None = None) -> None:
        self.broker, self.topic, self.keep = broker, topic, keep
        self.port = port or broker.port
        self.dead = DeadLetters(dead_letter_path)
        self.received = self.kept = 0
        self.connected = False
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self.client.tls_set(ca_certs=broker.ca_file)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 30)

    def start(self) -> None:
        self.client.connect_async(self.broker.host, self.port)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any = None) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%d refused the weather feed: %s", self.broker.host, self.port, reason)
            return
        client.subscribe(self.topic, qos=1)
        self.connected = True
        log.info("weather forecasts: subscribed to %s on %s:%d", self.topic, self.broker.host, self.port)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        payload = bytes(msg.payload)
        try:
            forecast = parse_forecast(payload)
            self.keep(forecast)
        except PayloadRejected as exc:
            self.dead.add(msg.topic, exc.kind, exc.detail, payload)
            return
        except OSError as exc:  # a full or read-only disk: the forecast was good, keep its bytes to replay
            log.error("weather forecast on %s: cannot keep it (%s)", msg.topic, exc)
            self.dead.add(msg.topic, "not_kept", str(exc), payload)
            return
        except Exception as exc:  # a fault of ours must not stop the feed: logged whole, kept as a dead letter
            log.exception("weather forecast on %s: internal error", msg.topic)
            self.dead.add(msg.topic, "internal_error", repr(exc), payload)
            return
        self.kept += 1
        log.info("weather forecast issued %s (%s) kept at %s", forecast.issued, forecast.source, time.ctime())
