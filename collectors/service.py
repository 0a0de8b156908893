"""The collector service: polls every polled device's groups (Modbus, BACnet), runs the subscribers (MQTT),
hands all readings to one :class:`~models.reading.ReadingSink` and writes a health snapshot for
``zerocarbon status``. Which collector serves a device is the registry's business (:mod:`collectors.registry`).

Modbus jobs that share a poll interval run off one timer with phase offsets (:mod:`collectors.polling`); a job
still busy when its turn comes is skipped and counted, so a slow or dead device only ever skips its own cycles.
APScheduler stays for the platform's jobs (rollups, reports, retention: zerocarbon/platform.py); with one
APScheduler job per device, start times slipped under load (docs/benchmarks.md, collectors). The sink is any
ReadingSink (the spool, or a tee into the spool and the alarm engine).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collectors.interface import Poller, Subscriber
from collectors.polling import PollJob, interval_timers
from collectors.registry import CollectorOptions, collector
from models.reading import ReadingSink
from models.site import Device, Site
from models.vocabulary import ModbusTransport

log = logging.getLogger(__name__)


def shard_devices(devices: Sequence[Device], index: int, count: int) -> list[Device]:
    """Devices of shard ``index`` (0-based) of ``count``: by a stable hash of the id, so every process
    given the same site agrees without talking to the others."""
    if not 0 <= index < count:
        raise ValueError(f"shard {index + 1}/{count}: the shard number must be between 1 and {count}")
    return [d for d in devices if zlib.crc32(d.id.encode()) % count == index]


def settle_heap() -> None:
    """Collect once, then move everything alive after start-up (site, templates, plans, modules) out of the
    cyclic collector's reach (``gc.freeze``): a full collection no longer walks those objects between two
    reads on the event loop, which otherwise grows with the number of devices. Objects made later are
    collected as usual; frozen ones are still freed by reference counting."""
    gc.collect()
    gc.freeze()


class CollectorService:
    def __init__(
        self,
        site: Site,
        sink: ReadingSink,
        *,
        devices: Sequence[Device] | None = None,
        status_path: Path | None = None,
        status_extra: Callable[[], dict[str, Any]] | None = None,
        mqtt_options: dict[str, Any] | None = None,
        modbus_transport: ModbusTransport | str = ModbusTransport.PYMODBUS,
        health_interval_s: float = 2.0,
    ) -> None:
        self.site = site
        self.sink = sink
        chosen = list(site.devices if devices is None else devices)
        options = CollectorOptions(modbus_transport=str(modbus_transport), mqtt=mqtt_options)
        self.pollers: list[Poller] = []
        by_subscriber: dict[str, list[Device]] = {}
        for d in chosen:
            kind = collector(d.protocol)
            if kind.poller is not None:
                self.pollers.append(kind.poller(d, site, options))
            else:
                by_subscriber.setdefault(d.protocol, []).append(d)
        self.subscribers: dict[str, Subscriber] = {}
        for protocol, group in by_subscriber.items():
            make = collector(protocol).subscriber
            assert make is not None, protocol
            self.subscribers[protocol] = make(site, group, sink, options)
        self.mqtt = self.subscribers.get("mqtt")
        self.status_path = status_path
        self.status_extra = status_extra
        self.health_interval_s = health_interval_s
        self.timers, self.jobs = interval_timers(self.pollers, self._poll)
        self._stop = asyncio.Event()
        self.started = time.time()

    async def _poll(self, job: PollJob) -> None:
        readings = await job.poller.poll(job.group)
        try:
            self.sink.put(readings)
        except Exception:  # a failing sink must not stop polling; the spool never raises in normal operation
            log.exception("%s: the reading sink refused %d readings", job.poller.device.id, len(readings))

    def _start_polling(self) -> Callable[[], None]:
        """Start every interval's timer; returns what stops them (bench/ swaps in other designs to compare)."""
        for timer in self.timers:
            timer.start()

        def stop() -> None:
            for timer in self.timers:
                timer.stop()

        return stop

    async def run(self) -> None:
        """Poll and subscribe until :meth:`stop`."""
        for poller in self.pollers:
            await poller.start(self.sink)
        settle_heap()
        stop_polling = self._start_polling()
        for subscriber in self.subscribers.values():
            subscriber.start()
        counts: dict[str, int] = {}
        for p in self.pollers:
            counts[p.protocol] = counts.get(p.protocol, 0) + 1
        for protocol, subscriber in self.subscribers.items():
            counts[protocol] = len(subscriber.devices)
        log.info("collecting from %s", ", ".join(f"{n} {p}" for p, n in counts.items()) or "no devices")
        try:
            while not self._stop.is_set():
                await self.write_status_off_loop()
                try:
                    await asyncio.wait_for(self._stop.wait(), self.health_interval_s)
                except TimeoutError:
                    pass
        finally:
            stop_polling()
            for subscriber in self.subscribers.values():
                subscriber.stop()
            for poller in self.pollers:
                await poller.stop()
            self.write_status()

    async def stop(self) -> None:
        self._stop.set()

    def status(self) -> dict[str, Any]:
        devices = []
        skipped: dict[str, int] = {}
        for job in self.jobs:
            skipped[job.poller.device.id] = skipped.get(job.poller.device.id, 0) + job.skipped
        for p in self.pollers:
            row = dict(vars(p.health))  # a shallow copy: asdict's deep copy cost 14 ms per 200 devices
            row.pop("retry_at")
            row["protocol"] = p.protocol
            row["last_value_ts"] = p.health.last_ok_ts
            row["skipped_cycles"] = skipped.get(p.device.id, 0)
            devices.append(row)
        for subscriber in self.subscribers.values():
            devices += subscriber.device_status()
        out: dict[str, Any] = {"pid": os.getpid(), "started": self.started, "written": time.time(), "devices": devices}
        for protocol, subscriber in self.subscribers.items():
            out[protocol] = subscriber.stats()
        if self.status_extra:
            out.update(self.status_extra())
        return out

    def write_status(self) -> None:
        if self.status_path is not None:
            self._write(self.status())

    async def write_status_off_loop(self) -> None:
        """The snapshot is taken on the loop (consistent with the polls); encoding, writing and renaming it run
        in a thread: at 1000 devices they took 12 ms of the loop every 2 s, the rename alone 4 ms of disk."""
        if self.status_path is not None:
            await asyncio.to_thread(self._write, self.status())

    def _write(self, status: dict[str, Any]) -> None:
        assert self.status_path is not None
        try:
            self.status_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.status_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(status))  # no indent: json's C encoder only runs without it
            os.replace(tmp, self.status_path)
        except OSError as exc:
            log.warning("cannot write the health snapshot %s: %s", self.status_path, exc)
