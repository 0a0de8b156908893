"""MQTT acquisition against a real mosquitto: mapping, dead letters, persistent session, kill -9 of `collect`."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from collectors.mqtt import MqttCollector
from models.reading import Quality, Reading
from models.site import Site
from tests.collectors.conftest import write_site
from tests.support.processes import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
T0 = int(time.time()) // 86400 * 86400 - 86400  # yesterday: payload times must be in the window


class ListSink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def put(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)


def mqtt_site(tmp_path: Path, port: int) -> Site:
    return write_site(tmp_path, [
        {"id": "chiller-plant", "protocol": "mqtt", "template": "chiller-plant", "connection": {"topic": "chiller"}},
        {"id": "fire-panel", "protocol": "mqtt", "template": "building-system", "connection": {"topic": "fire"}},
    ], mqtt_port=port)


def publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def status_payload(i: int) -> bytes:
    return json.dumps({"ts": T0 + i, "power_kw": 10.0 + i, "devices": {"online": 40, "total": 42},
                       "alarms": {"active": i % 3}}).encode()


def wait_for(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def start(
    site: Site, sink: ListSink, tmp_path: Path, client_id: str = "zc-test", protocol: int = 4, client: str = "paho"
) -> MqttCollector:
    collector = MqttCollector(site, site.devices, sink, client_id=client_id, protocol=protocol, client=client,
                              dead_letter_path=tmp_path / "dead.jsonl")
    collector.start()
    wait_for(collector.is_connected)
    time.sleep(0.2)  # SUBACK
    return collector


@pytest.mark.parametrize("client", ["paho", "wire"])
def test_payload_fields_map_to_points_with_payload_time(tmp_path: Path, mosquitto: Mosquitto, client: str) -> None:
    site, sink = mqtt_site(tmp_path, mosquitto.port), ListSink()
    collector = start(site, sink, tmp_path, f"zc-map-{client}", client=client)
    payload = {"ts": "2026-10-14T12:00:00+08:00", "plant": {"electric_kw": 412.5, "cooling_kw": 2100,
               "chillers_running": 2}, "chw": {"supply_c": 7.1, "return_c": 12.4}, "outdoor": {"temp_c": 31.2}}
    publish(mosquitto.port, [("zc/chiller/telemetry", json.dumps(payload).encode())])
    wait_for(lambda: len(sink.readings) == 6)
    collector.stop()
    got = {r.point_id: r for r in sink.readings}
    assert got["chiller-plant.cooling_kw"].value == 2100.0 and got["chiller-plant.chw_supply_c"].value == 7.1
    assert {r.ts for r in sink.readings} == {datetime(2026, 10, 14, 4, tzinfo=UTC).timestamp()}  # 12:00 +08
    assert {r.quality for r in sink.readings} == {Quality.GOOD}


BAD = [
    ("zc/fire/status", b"{not json", "not_json"),
    ("zc/fire/status", b"{\"power_kw\": tru}", "not_json"),
    ("zc/fire/status", b"[1, 2]", "not_object"),
    ("zc/fire/status", b'{"ts": %d, "power_kw": "high", "devices": {"online": 1, "total": 2}, '
                       b'"alarms": {"active": 0}}' % T0, "wrong_type"),
    ("zc/fire/status", b'{"ts": %d, "power_kw": 1.5, "alarms": {"active": 0}}' % (T0 + 1), "missing_field"),
    ("zc/fire/status", b'{"ts": %d, "power_kw": NaN, "devices": {"online": 1, "total": 2}, '
                       b'"alarms": {"active": 0}}' % (T0 + 2), "not_finite"),
    ("zc/fire/status", b'{"pad": "' + b"x" * 300_000 + b'"}', "huge"),
    ("zc/unknown/thing", b'{"power_kw": 1}', "unknown_topic"),
    ("zc/fire/status", b"\xff\xfe\x00garbage", "not_utf8"),
]


@pytest.mark.parametrize("client", ["paho", "wire"])
def test_bad_payloads_are_counted_dead_lettered_and_never_stop_the_subscriber(
    tmp_path: Path, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture, client: str
) -> None:
    site, sink = mqtt_site(tmp_path, mosquitto.port), ListSink()
    with caplog.at_level(logging.WARNING, logger="collectors.mqtt"):
        collector = start(site, sink, tmp_path, f"zc-bad-{client}", client=client)
        publish(mosquitto.port, [(t, p) for t, p, _ in BAD] + [("zc/fire/status", status_payload(5))])
        wait_for(lambda: collector.received == len(BAD) + 1)
        collector.stop()
    counts = collector.stats()["dead_letters"]
    assert counts == {"not_json": 2, "not_object": 1, "wrong_type": 1, "missing_field": 1, "not_finite": 1,
                      "huge": 1, "unknown_topic": 1, "not_utf8": 1}
    # one warning per kind, although not_json came twice
    assert len([r for r in caplog.records if "dead letter" in r.getMessage()]) == 8
    rows = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in rows] == [k for _, _, k in BAD]
    # the raw payload is kept, bounded: the first 4 KiB and the full length
    assert [base64.b64decode(r["payload_b64"]) for r in rows] == [p[:4096] for _, p, _ in BAD]
    assert [r["payload_bytes"] for r in rows] == [len(p) for _, p, _ in BAD]
    good = [r for r in sink.readings if r.ts == T0 + 5]
    assert len(good) == 4 and all(r.quality is Quality.GOOD for r in good)  # collected after the bad ones
    # partly bad payloads keep their good fields and mark the bad one
    wrong = {r.point_id: r for r in sink.readings if r.ts == T0}
    assert wrong["fire-panel.power_kw"].quality is Quality.BAD_PAYLOAD and wrong["fire-panel.devices_online"].value == 1


# MQTT 3.1.1 clean_session=False over paho and over the lean client; MQTT 5 session expiry over paho
@pytest.mark.parametrize(("protocol", "client"), [(4, "paho"), (5, "paho"), (4, "wire")])
def test_persistent_session_gets_what_was_published_while_down(
    tmp_path: Path, fresh_mosquitto: Mosquitto, protocol: int, client: str
) -> None:
    site, sink = mqtt_site(tmp_path, fresh_mosquitto.port), ListSink()
    start(site, sink, tmp_path, "zc-persist", protocol, client).stop()
    publish(fresh_mosquitto.port, [("zc/fire/status", status_payload(i)) for i in range(200)])
    collector = start(site, sink, tmp_path, "zc-persist", protocol, client)
    wait_for(lambda: len(sink.readings) >= 800)
    collector.stop()
    # 200 messages x 4 points, all queued by the broker for our session
    assert len({(r.point_id, r.ts) for r in sink.readings}) == 800


def _collect(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "zerocarbon"
    log = (tmp_path / "collect.log").open("ab")
    return subprocess.Popen([str(exe), "collect"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def sentinel_seen_by(proc: subprocess.Popen[bytes], port: int, status: Path, deadline_s: float = 60.0) -> None:
    """Publish a chiller-plant message until ``proc``'s health snapshot shows the device seen: the collector is
    subscribed, and has taken every message the broker queued for it before this one."""
    sentinel = json.dumps({"ts": T0, "plant": {"electric_kw": 1.0, "cooling_kw": 1.0, "chillers_running": 1},
                           "chw": {"supply_c": 7.0, "return_c": 12.0}, "outdoor": {"temp_c": 30.0}}).encode()

    def seen() -> bool:
        try:
            snap = json.loads(status.read_text())
        except (OSError, ValueError):
            return False
        return snap.get("pid") == proc.pid and any(
            d["device"] == "chiller-plant" and d["state"] == "ok" for d in snap.get("devices", []))

    deadline = time.monotonic() + deadline_s
    while not seen():
        assert proc.poll() is None, f"zerocarbon collect exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"the collector did not see a message within {deadline_s} s"
        publish(port, [("zc/chiller/telemetry", sentinel)])
        again = time.monotonic() + 2.0  # published before the subscription took hold: lost, so send again
        while not seen() and time.monotonic() < again:
            time.sleep(0.05)


@pytest.mark.parametrize("client", ["paho", "wire"])
def test_kill_9_of_collect_loses_no_message(tmp_path: Path, fresh_mosquitto: Mosquitto, client: str) -> None:
    site = mqtt_site(tmp_path, fresh_mosquitto.port)
    data = tmp_path / "data"
    env = {**os.environ, "ZEROCARBON_SITE": site.source, "ZEROCARBON_DATA_DIR": str(data),
           "ZEROCARBON_STORE": "duckdb", "ZEROCARBON_MQTT_CLIENT": client}
    status = data / "status" / "collector.json"
    proc = _collect(tmp_path, env)
    sentinel_seen_by(proc, fresh_mosquitto.port, status)  # subscribed: its persistent session queues from now on
    n = 3000
    publish(fresh_mosquitto.port, [("zc/fire/status", status_payload(i)) for i in range(n // 2)])
    os.kill(proc.pid, signal.SIGKILL)  # whatever it had in flight is either spooled or not yet acknowledged
    proc.wait(10)
    publish(fresh_mosquitto.port, [("zc/fire/status", status_payload(i)) for i in range(n // 2, n)])
    proc = _collect(tmp_path, env)

    def drained() -> bool:
        snap = json.loads(status.read_text()) if status.exists() else {}
        return snap.get("pid") == proc.pid and snap.get("mqtt", {}).get("readings", 0) > 0 and \
            snap["spool"]["depth"] == 0 and time.time() - snap["written"] < 3

    wait_for(drained, 60)
    # A last message on the other device's topic: the broker sends the session's queue in order, so once the
    # collector has seen it, every message before it is in (a fixed 1.5 s for the queue to run dry was a guess).
    sentinel_seen_by(proc, fresh_mosquitto.port, status)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    from storage.duckdb_store import DuckDBStore

    store = DuckDBStore(data / "zerocarbon.duckdb")
    ids = [f"fire-panel.{p}" for p in ("power_kw", "devices_online", "devices_total", "active_alarms")]
    frame = store.read(ids, datetime.fromtimestamp(T0 - 1, UTC), datetime.fromtimestamp(T0 + n + 1, UTC))
    store.close()
    # 3000 messages x 4 points, each (point_id, ts) once: nothing lost, replays overwrote
    assert len(frame) == n * 4
    assert frame.groupby("point_id").size().to_dict() == dict.fromkeys(ids, n)


@pytest.mark.parametrize("client", ["paho", "wire"])
def test_password_and_tls(tmp_path: Path, client: str) -> None:
    from tests.collectors.conftest import start_secure_mosquitto

    broker, ca = start_secure_mosquitto(tmp_path / "secure", "collector", "s3cret")
    try:
        site, sink = mqtt_site(tmp_path, broker.port), ListSink()
        refused = MqttCollector(site, site.devices, ListSink(), client=client, client_id="zc-wrong",
                                username="collector", password="wrong", tls=True, ca_file=str(ca))
        collector = MqttCollector(site, site.devices, sink, client=client, client_id=f"zc-tls-{client}",
                                  username="collector", password="s3cret", tls=True, ca_file=str(ca))
        refused.start()
        collector.start()
        wait_for(collector.is_connected)
        time.sleep(0.3)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pub-tls")
        pub.username_pw_set("collector", "s3cret")
        pub.tls_set(ca_certs=str(ca))
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        pub.publish("zc/fire/status", status_payload(1), qos=1).wait_for_publish(10)
        pub.disconnect()
        pub.loop_stop()
        wait_for(lambda: len(sink.readings) == 4)
        assert not refused.is_connected() and refused.received == 0  # wrong password: never in
        collector.stop()
        refused.stop()
    finally:
        broker.stop()


def test_shard_processes_share_one_subscription_without_overlap(tmp_path: Path, mosquitto: Mosquitto) -> None:
    site = mqtt_site(tmp_path, mosquitto.port)
    sinks = [ListSink(), ListSink()]
    collectors = [MqttCollector(site, site.devices, sink, client_id=f"zc-shard-{i}", shared_group="zc-test-share")
                  for i, sink in enumerate(sinks)]
    for c in collectors:
        c.start()
    for c in collectors:
        wait_for(c.is_connected)
    time.sleep(0.3)
    publish(mosquitto.port, [("zc/fire/status", status_payload(i)) for i in range(100)])
    wait_for(lambda: sum(c.received for c in collectors) == 100)
    for c in collectors:
        c.stop()
    # 100 messages x 4 points; each message went to exactly one of the two shard processes
    assert all(c.received > 0 for c in collectors)
    seen = [{(r.point_id, r.ts) for r in s.readings} for s in sinks]
    assert len(seen[0] | seen[1]) == 400 and not seen[0] & seen[1]
