"""Collect wiring: the spool first in a tee, shards, metrics and checks for /health and /metrics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from models.errors import ConfigError
from models.reading import Reading
from tests.collectors.conftest import SqliteWriter
from zerocarbon.collect_wiring import Tee, bridge_health, build_collection, parse_shard
from zerocarbon.settings import load_settings


class Boom:
    def put(self, readings: Sequence[Reading]) -> None:
        raise RuntimeError("alarm engine bug")


class ListSink:
    def __init__(self) -> None:
        self.readings: list[Reading] = []

    def put(self, readings: Sequence[Reading]) -> None:
        self.readings.extend(readings)


def test_tee_feeds_every_sink_and_a_failing_one_does_not_stop_the_others() -> None:
    first, last = ListSink(), ListSink()
    Tee(first, Boom(), last).put([Reading("m.p", 1.0, 2.0)])
    assert len(first.readings) == len(last.readings) == 1


@pytest.mark.parametrize(("text", "expected"), [(None, (0, 1)), ("1/2", (0, 2)), ("3/3", (2, 3))])
def test_shard_option(text: str | None, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/2", "3/2", "a/b", "2"])
def test_bad_shard_option_says_how_to_write_it(text: str) -> None:
    with pytest.raises(ConfigError, match="i/n"):
        parse_shard(text)


def test_metrics_follow_the_spool_and_the_store(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from zerocarbon.health import checks, metrics, refresh_all

    settings = load_settings(data_dir=tmp_path / "data")
    writer = SqliteWriter(tmp_path / "store.sqlite")
    collection = build_collection(settings, site, writer, shard=(0, 2))
    # shard 1 of 2 polls about half the Modbus devices and maps every MQTT topic (shared subscription)
    modbus = [d for d in site.devices if d.protocol == "modbus"]
    assert 0 < len(collection.service.pollers) < len(modbus)
    assert collection.service.mqtt is not None and collection.service.mqtt.topics == ["$share/zerocarbon/zc/#"]
    unbridge = bridge_health(collection)
    before = metrics.value("zerocarbon_readings_total"), metrics.value("zerocarbon_readings_written_total")
    collection.spool.put([Reading(f"m.p{i}", 1_760_000_000.0, float(i)) for i in range(7)])
    refresh_all()
    assert metrics.value("zerocarbon_spool_depth_readings") == 7
    assert checks.run()["spool"]["detail"].startswith("7 readings waiting, oldest ")  # depth and age on /health
    assert metrics.value("zerocarbon_readings_total") - before[0] == 7
    while collection.drainer.drain_once():
        pass
    refresh_all()
    assert metrics.value("zerocarbon_readings_written_total") - before[1] == 7
    assert checks.run()["store"]["ok"] and writer.count() == 7
    unbridge()
    assert "store" not in checks.run()
    collection.spool.close()


def test_suspect_readings_and_dead_letters_reach_metrics_and_status(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import time

    from zerocarbon.health import metrics, refresh_all

    settings = load_settings(data_dir=tmp_path / "data")
    collection = build_collection(settings, site, SqliteWriter(tmp_path / "store.sqlite"))
    mqtt = collection.service.mqtt
    assert mqtt is not None
    unbridge = bridge_health(collection)
    topic = next(iter(mqtt.routes))
    labels = {"kind": "duplicate_key"}
    before = metrics.value("zerocarbon_dead_letters_total", labels)
    mqtt.handle(topic, b'{"a": 1, "a": 2}', time.time())
    mqtt.handle(topic, b'{"a": 1, "a": 3}', time.time())
    poller = collection.service.pollers[0]
    poller.health.suspect_readings += 3  # what a poll outside a point's range adds (tests/collectors/test_orders.py)
    suspect_before = metrics.value("zerocarbon_readings_suspect_total", {"device": poller.device.id})
    refresh_all()
    assert metrics.value("zerocarbon_dead_letters_total", labels) - before == 2
    assert metrics.value("zerocarbon_readings_suspect_total", {"device": poller.device.id}) - suspect_before == 3
    refresh_all()  # counted once, not again at the next scrape
    assert metrics.value("zerocarbon_dead_letters_total", labels) - before == 2
    status = collection.service.status()
    assert status["mqtt"]["dead_letters"] == {"duplicate_key": 2}
    assert next(d for d in status["devices"] if d["device"] == poller.device.id)["suspect_readings"] == 3
    unbridge()
    collection.spool.close()
    asyncio.run(collection.service.stop())
