"""Scale-out: three real ``zerocarbon collect --shard i/3`` processes share the simulated Zhuhai site.

Every Modbus device is polled by exactly one shard, the shards together cover the site, and the readings of
every device (Modbus and MQTT) land in one real influxd. MQTT devices are not split by shard: every shard
subscribes through one shared subscription, and the broker hands each message to one of them.

The broker is the production one (deploy/mosquitto: password file and ACL): the gateways publish with the
gateway account, the shards log in with the services account read from a ``.env`` file as in deploy/.env.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.site import ModbusConnection, Site
from models.template import MqttTemplate
from simulators.mqtt_publisher import build_payload, topic_of
from simulators.site import SimulatedSite
from storage.influx_store import InfluxStore
from tests.ops.conftest import ROOT
from tests.ops.deploy_broker import GATEWAY, GATEWAY_PASSWORD, PASSWORD, USER, Broker, open_session, start_deploy_broker
from tests.support.processes import Influxd
from tests.support.simsite import start_simulated_site

SHARDS = 3
DATABASE = "ops_shards"


def write_site_file(simulated: Site, directory: Path) -> Path:
    """config/site.yaml with each Modbus device at its simulated loopback port (templates beside it)."""
    raw = yaml.safe_load((ROOT / "config" / "site.yaml").read_text())
    for device in raw["devices"]:
        connection = simulated.device(device["id"]).connection
        if isinstance(connection, ModbusConnection):
            device["connection"].update(host=connection.host, port=connection.port)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "templates").symlink_to(ROOT / "config" / "templates")
    path = directory / "site.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    return path


def shard_env(site_file: Path, data_dir: Path, influxd: Influxd, broker: Broker) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZEROCARBON_")}
    return {
        **base,
        "ZEROCARBON_SITE": str(site_file),
        "ZEROCARBON_DATA_DIR": str(data_dir),
        "ZEROCARBON_STORE": "influxdb",
        "ZEROCARBON_INFLUX_URL": influxd.url,
        "ZEROCARBON_INFLUX_DB": DATABASE,
        "ZEROCARBON_MQTT_HOST": "127.0.0.1",
        "ZEROCARBON_MQTT_PORT": str(broker.port),
        "ZEROCARBON_LOG_LEVEL": "WARNING",
    }


def gateways_publishing(simulated: SimulatedSite, broker: Broker, stop: threading.Event) -> None:
    """The site's MQTT gateways, logged in with the gateway account, publishing every second."""
    session = open_session(broker.port, GATEWAY, GATEWAY_PASSWORD)
    assert session.reason == 0, "the gateway account is refused"
    try:
        while not stop.is_set():
            ts, values = simulated.snapshot()
            for device in simulated.site.devices:
                template = simulated.site.template_of(device)
                if isinstance(template, MqttTemplate):
                    body = json.dumps(build_payload(template, values.get(device.id, {}), ts)).encode()
                    session.client.publish(topic_of(template, device), body, qos=1)
            stop.wait(1.0)
    finally:
        session.close()


def status_of(data_dir: Path, i: int) -> dict[str, Any] | None:
    path = data_dir / "status" / f"collector-{i}of{SHARDS}.json"
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):  # not written yet, or being replaced
        return None


def polled_modbus_devices(status: dict[str, Any]) -> set[str]:
    return {d["device"] for d in status["devices"] if d["protocol"] == "modbus" and d.get("cycles", 0) > 0}


@pytest.fixture
def running_shards(site: Site, influxd: Influxd, tmp_path: Path) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    influxd.create_database(DATABASE)
    broker = start_deploy_broker(tmp_path / "broker")
    simulated = start_simulated_site(site, None)  # Modbus here; MQTT from the gateway account below
    stop_gateways = threading.Event()
    gateways = threading.Thread(target=gateways_publishing, args=(simulated, broker, stop_gateways), daemon=True)
    gateways.start()
    data_dir = tmp_path / "data"
    env = shard_env(write_site_file(simulated.site, tmp_path / "site"), data_dir, influxd, broker)
    # the services' broker account comes from .env in the working directory, as deploy/.env gives it
    (tmp_path / ".env").write_text(f"ZEROCARBON_MQTT_USERNAME={USER}\nZEROCARBON_MQTT_PASSWORD={PASSWORD}\n")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zerocarbon", "collect", "--shard", f"{i}/{SHARDS}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for i in range(1, SHARDS + 1)
    ]
    try:
        yield data_dir, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        stop_gateways.set()
        gateways.join(timeout=10)
        simulated.stop()
        broker.stop()


def wait_for(predicate: Any, timeout_s: float, procs: list[subprocess.Popen[str]], what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(
                    f"a collector shard exited ({proc.returncode}): {proc.stdout.read() if proc.stdout else ''}"
                )
        found = predicate()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s}s waiting for {what}")


def test_every_device_is_polled_by_exactly_one_shard_and_the_shards_cover_the_site(
    site: Site, influxd: Influxd, running_shards: tuple[Path, list[subprocess.Popen[str]]]
) -> None:
    data_dir, procs = running_shards
    modbus = {d.id for d in site.devices if d.protocol == "modbus"}
    mqtt = {d.id for d in site.devices if d.protocol == "mqtt"}

    def all_shards_polled_once() -> list[set[str]] | None:
        statuses = [status_of(data_dir, i) for i in range(1, SHARDS + 1)]
        if any(s is None for s in statuses):
            return None
        polled = [polled_modbus_devices(s) for s in statuses]  # type: ignore[arg-type]
        return polled if set().union(*polled) >= modbus else None

    polled = wait_for(all_shards_polled_once, 45, procs, "every Modbus device polled by some shard")
    for i, mine in enumerate(polled):
        others = set().union(*(p for j, p in enumerate(polled) if j != i))
        assert not mine & others, f"shard {i + 1}/{SHARDS} shares devices {sorted(mine & others)}"
        assert mine, f"shard {i + 1}/{SHARDS} polls nothing: 40 devices should spread over {SHARDS} shards"
    assert set().union(*polled) == modbus

    store = InfluxStore(influxd.url, DATABASE)
    try:

        def devices_in_store() -> set[str] | None:
            latest = store.latest()
            seen = {pid.split(".", 1)[0] for pid in latest["point_id"]} if len(latest) else set()
            return seen if seen >= modbus | mqtt else None

        wait_for(devices_in_store, 30, procs, "readings of every Modbus and MQTT device in InfluxDB")
    finally:
        store.close()

    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=30) for proc in procs] == [0] * SHARDS, "shards stop cleanly, spool flushed"
