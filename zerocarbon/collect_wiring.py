"""Wire the collector: site -> CollectorService -> Spool (+ any other sinks) -> SpoolDrainer -> Store.

The lead's ``zerocarbon run`` calls :func:`build_collection` with its shared store and the alarm engine as an
extra sink; ``zerocarbon collect`` calls :func:`run_collect`, which owns its store.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.mqtt_mapping import TimestampWindow
from collectors.registry import shard_share
from collectors.service import CollectorService, shard_devices
from collectors.spool import Spool, SpoolDrainer
from models.errors import ConfigError, ConfigProblem
from models.reading import Reading, ReadingSink, ReadingWriter
from models.site import Site
from zerocarbon.health_wiring import TimedWriter
from zerocarbon.settings import Settings, load_configured_site

log = logging.getLogger(__name__)


class Tee:
    """One ReadingSink feeding several (the spool first: it is the one that must not lose anything)."""

    def __init__(self, *sinks: ReadingSink) -> None:
        self.sinks = sinks

    def put(self, readings: Sequence[Reading]) -> None:
        self.sinks[0].put(readings)
        for sink in self.sinks[1:]:
            try:
                sink.put(readings)
            except Exception:  # an alarm engine bug must not stop acquisition
                log.exception("reading sink %s failed", type(sink).__name__)


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"2/3"`` -> (1, 3): the second of three shards (0-based index)."""
    if not text:
        return 0, 1
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise ConfigError([ConfigProblem("--shard", None, "", f"{text!r}: write it as i/n with 1 <= i <= n, e.g. 1/2")])
    return i - 1, n


def shard_suffix(index: int, count: int) -> str:
    return "" if count == 1 else f"-{index + 1}of{count}"


@dataclass
class Collection:
    service: CollectorService
    spool: Spool
    drainer: SpoolDrainer

    def status_extra(self) -> dict[str, Any]:
        return {"spool": self.spool.status(), "store": self.drainer.status()}


def build_collection(
    settings: Settings,
    site: Site,
    writer: ReadingWriter,
    *,
    shard: tuple[int, int] = (0, 1),
    extra_sinks: Sequence[ReadingSink] = (),
) -> Collection:
    index, count = shard
    suffix = shard_suffix(index, count)
    spool = Spool(settings.data_dir / f"spool{suffix}", int(settings.spool_max_mb * 1024 * 1024))
    drainer = SpoolDrainer(spool, writer)
    # Polled devices are split between shards; every shard maps every MQTT topic (a shared subscription).
    devices = shard_share(site.devices, shard_devices(site.devices, index, count))
    options: dict[str, Any] = {
        "host": settings.mqtt_host, "port": settings.mqtt_port, "username": settings.mqtt_username,
        "password": settings.mqtt_password,
        "dead_letter_path": settings.data_dir / "dead_letters" / f"mqtt{suffix}.jsonl",
        "client_id": f"{site.mqtt.client_id}{suffix}", "shared_group": "zerocarbon" if count > 1 else None,
        "client": settings.mqtt_client,
        # a payload older than raw retention would be deleted at the next retention run: refuse it openly
        "timestamp_window": TimestampWindow(settings.mqtt_max_ahead_s, settings.retention_raw_days * 86400 or None),
    }
    sink: ReadingSink = Tee(spool, *extra_sinks) if extra_sinks else spool
    service = CollectorService(site, sink, devices=devices, mqtt_options=options,
                               status_path=status_path(settings, suffix), modbus_transport=settings.modbus_transport)
    collection = Collection(service, spool, drainer)
    collection.service.status_extra = collection.status_extra
    return collection


def _bridge_quality_counters(collection: Collection, metrics: Any, counted: dict[tuple[str, str], int]) -> None:
    """Suspect readings per device and MQTT dead letters per kind, as Prometheus counters (deltas)."""
    now: dict[tuple[str, str], int] = {("suspect", p.device.id): p.health.suspect_readings
                                       for p in collection.service.pollers}
    mqtt = collection.service.mqtt
    if mqtt is not None:
        now.update({("suspect", d): n for d, n in mqtt.suspect.items()})
        now.update({("dead", kind): n for kind, n in mqtt.dead.counts.items()})
    for (metric, label), value in now.items():
        delta = value - counted.get((metric, label), 0)
        if delta > 0:
            if metric == "suspect":
                metrics.readings_suspect_total.labels(device=label).inc(delta)
            else:
                metrics.dead_letters_total.labels(kind=label).inc(delta)
        counted[(metric, label)] = value


def bridge_health(collection: Collection) -> Callable[[], None]:
    """Copy the collection's counters into the process's Prometheus metrics and /health checks at each
    scrape; returns the function that undoes it."""
    from zerocarbon.health import checks, metrics, off_scrape, on_scrape

    seen = {"accepted": 0, "written": 0, "failures": 0}
    failed: dict[str, int] = {}
    counted: dict[tuple[str, str], int] = {}  # (metric, label) -> value already added

    def refresh() -> None:
        spool, drainer, pollers = collection.spool, collection.drainer, collection.service.pollers
        metrics.spool_depth.set(spool.pending)
        metrics.spool_bytes.set(spool.bytes)
        subscribed = sum(len(s.devices) for s in collection.service.subscribers.values())
        metrics.devices_assigned.set(len(pollers) + subscribed)
        for key, now, counter in (("accepted", spool.accepted, metrics.readings_total),
                                  ("written", drainer.written, metrics.readings_written_total),
                                  ("failures", drainer.failures, metrics.store_write_errors_total)):
            counter.inc(max(0, now - seen[key]))
            seen[key] = now
        for p in pollers:
            delta = p.health.failed_cycles - failed.get(p.device.id, 0)
            if delta > 0:
                kind = "timeout" if p.health.state == "comm_loss" else "exception"
                metrics.device_errors_total.labels(device=p.device.id, kind=kind).inc(delta)
            failed[p.device.id] = p.health.failed_cycles
        _bridge_quality_counters(collection, metrics, counted)

    on_scrape(refresh)
    def spool_check() -> tuple[bool, str]:
        st = collection.spool.status()
        age = "" if st["age_s"] is None else f", oldest {st['age_s']:.0f} s"
        alarm = f", {st['alarm']}" if st["alarm"] else ""
        return st["alarm"] != "full", f"{st['depth']} readings waiting{age}{alarm}"

    checks.add("spool", spool_check)
    checks.add("store", lambda: (collection.drainer.store_ok, collection.drainer.last_error or "writing"))

    def unbridge() -> None:
        off_scrape(refresh)
        checks.remove("spool")
        checks.remove("store")

    return unbridge


def status_path(settings: Settings, suffix: str = "") -> Path:
    return settings.data_dir / "status" / f"collector{suffix}.json"


async def run_collect(settings: Settings, shard: tuple[int, int]) -> None:
    """``zerocarbon collect``: run until SIGTERM/SIGINT, then flush the spool into the store if it can."""
    from zerocarbon.store_wiring import open_store

    if shard[1] > 1 and settings.store == "duckdb":
        raise ConfigError([ConfigProblem("settings", None, "ZEROCARBON_STORE", "several collector shards need "
                                         "a store that takes writes from several processes: set it to influxdb")])
    site = load_configured_site(settings)
    store = open_store(settings, site)
    collection = build_collection(settings, site, TimedWriter(store), shard=shard)
    from apscheduler.schedulers.background import BackgroundScheduler

    from zerocarbon.health import serve_health
    from zerocarbon.scheduler_lock import open_scheduler_lock
    from zerocarbon.store_wiring import schedule_rollups

    health = serve_health(settings, "collector")
    unbridge = bridge_health(collection)
    jobs = BackgroundScheduler(timezone="UTC")  # rollups: on whichever shard holds the scheduler lease
    lock = open_scheduler_lock(settings)
    schedule_rollups(jobs, store, lock=lock)
    jobs.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(collection.service.stop()))
    collection.drainer.start()
    try:
        await collection.service.run()
    finally:
        jobs.shutdown(wait=True)
        lock.release()
        await asyncio.to_thread(collection.drainer.stop, 5.0)
        collection.spool.close()
        store.close()
        unbridge()
        if health is not None:
            health.stop()
