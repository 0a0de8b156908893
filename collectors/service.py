"""The collector service: schedules every Modbus device's polling groups, runs the MQTT subscriber, hands all
readings to one :class:`~models.reading.ReadingSink` and writes a health snapshot for ``zerocarbon status``.

Each (device, group) is its own APScheduler job with ``max_instances=1``: a slow or dead device only ever
skips its own cycles. Jobs are ``async def`` so they run on the loop, not in APScheduler's thread pool
(feasibility §8). The sink is any ReadingSink (the spool, or a tee into the spool and the alarm engine).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collectors.modbus import DevicePoller
from collectors.mqtt import MqttCollector
from models.reading import ReadingSink
from models.site import Device, Site
from models.template import ModbusTemplate

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.ERROR)  # skipped runs of a slow device are counted, not logged


def shard_devices(devices: Sequence[Device], index: int, count: int) -> list[Device]:
    """Devices of shard ``index`` (0-based) of ``count``: by a stable hash of the id, so every process
    given the same site agrees without talking to the others."""
    if not 0 <= index < count:
        raise ValueError(f"shard {index + 1}/{count}: the shard number must be between 1 and {count}")
    return [d for d in devices if zlib.crc32(d.id.encode()) % count == index]


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
        modbus_transport: str = "pymodbus",
        health_interval_s: float = 2.0,
    ) -> None:
        self.site = site
        self.sink = sink
        chosen = list(site.devices if devices is None else devices)
        self.pollers = [
            DevicePoller(d, t, transport=modbus_transport)
            for d in chosen
            if isinstance(t := site.template_of(d), ModbusTemplate)
        ]
        mqtt_devices = [d for d in chosen if d.protocol == "mqtt"]  # MqttConnection devices
        self.mqtt = MqttCollector(site, mqtt_devices, sink, **(mqtt_options or {})) if mqtt_devices else None
        self.status_path = status_path
        self.status_extra = status_extra
        self.health_interval_s = health_interval_s
        self.skipped: dict[str, int] = {}
        self._stop = asyncio.Event()
        self.started = time.time()

    async def _poll(self, poller: DevicePoller, group: str) -> None:
        readings = await poller.poll(group)
        try:
            self.sink.put(readings)
        except Exception:  # a failing sink must not stop polling; the spool never raises in normal operation
            log.exception("%s: the reading sink refused %d readings", poller.device.id, len(readings))

    def _schedule(self, scheduler: AsyncIOScheduler) -> None:
        now = datetime.now().astimezone()
        jobs = [(p, g) for p in self.pollers for g in p.groups]
        for i, (poller, group) in enumerate(jobs):
            interval = poller.intervals[group]
            # spread first runs over half an interval so a site's devices are not all asked at one instant
            first = now + timedelta(seconds=0.05 + 0.5 * interval * i / max(len(jobs), 1) % interval)
            scheduler.add_job(
                self._poll,
                "interval",
                seconds=interval,
                args=[poller, group],
                id=f"{poller.device.id}/{group}",
                next_run_time=first,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(interval)),
            )

    def _on_skip(self, event: JobExecutionEvent) -> None:
        self.skipped[event.job_id] = self.skipped.get(event.job_id, 0) + 1

    async def run(self) -> None:
        """Poll and subscribe until :meth:`stop`."""
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
        scheduler.add_listener(self._on_skip, EVENT_JOB_MAX_INSTANCES)
        self._schedule(scheduler)
        scheduler.start()
        if self.mqtt:
            self.mqtt.start()
        n_mqtt = len(self.mqtt.devices) if self.mqtt else 0
        log.info("collecting from %d Modbus and %d MQTT devices", len(self.pollers), n_mqtt)
        try:
            while not self._stop.is_set():
                self.write_status()
                try:
                    await asyncio.wait_for(self._stop.wait(), self.health_interval_s)
                except TimeoutError:
                    pass
        finally:
            scheduler.shutdown(wait=False)
            if self.mqtt:
                self.mqtt.stop()
            for poller in self.pollers:
                poller.close()
            self.write_status()

    async def stop(self) -> None:
        self._stop.set()

    def status(self) -> dict[str, Any]:
        devices = []
        for p in self.pollers:
            row = asdict(p.health)
            row.pop("retry_at")
            row["protocol"] = "modbus"
            row["last_value_ts"] = p.health.last_ok_ts
            row["skipped_cycles"] = sum(n for job, n in self.skipped.items() if job.startswith(f"{p.device.id}/"))
            devices.append(row)
        if self.mqtt:
            devices += self.mqtt.device_status()
        out: dict[str, Any] = {"pid": os.getpid(), "started": self.started, "written": time.time(), "devices": devices}
        if self.mqtt:
            out["mqtt"] = self.mqtt.stats()
        if self.status_extra:
            out.update(self.status_extra())
        return out

    def write_status(self) -> None:
        if self.status_path is None:
            return
        try:
            self.status_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.status_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.status(), indent=1))
            os.replace(tmp, self.status_path)
        except OSError as exc:
            log.warning("cannot write the health snapshot %s: %s", self.status_path, exc)
