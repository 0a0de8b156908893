"""``SimulatedSite``: every device of a site file live on loopback, Modbus TCP and MQTT, faults on demand.

One asyncio loop (its own thread) serves every Modbus port and advances the physics by the wall clock (or a
shifted and sped-up clock, for demos and tests); one thread publishes the MQTT gateways' JSON.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from models.site import Site
from simulators.endpoints import ENDPOINTS, Endpoint
from simulators.faults import check_fault
from simulators.live import LiveState
from simulators.mqtt_publisher import MqttPublisher
from simulators.registers import Value


def remap_ports(
    site: Site,
    ports: dict[str, int],
    mqtt_host: str | None = None,
    mqtt_port: int | None = None,
    mqtt_credentials: tuple[str, str | None] | None = None,
) -> Site:
    """A copy of ``site`` whose Modbus and BACnet devices listen on ``ports`` (device id -> port, 0 = any free
    port), its
    broker moved and, given ``mqtt_credentials`` as (username, password), logged in."""
    devices = []
    for d in site.devices:
        if d.protocol in ENDPOINTS and d.id in ports:
            d = d.model_copy(update={"connection": d.connection.model_copy(update={"port": ports[d.id]})})
        devices.append(d)
    user, password = mqtt_credentials or (None, None)
    moved = {"host": mqtt_host, "port": mqtt_port, "username": user, "password": password}
    broker = site.mqtt.model_copy(update={k: v for k, v in moved.items() if v is not None})
    return site.model_copy(update={"devices": devices, "mqtt": broker})


class SimulatedSite:
    def __init__(
        self,
        site: Site,
        seed: int = 0,
        ports: dict[str, int] | None = None,
        mqtt_host: str | None = None,
        mqtt_port: int | None = None,
        *,
        host: str = "127.0.0.1",
        publish_mqtt: bool = True,
        tick_s: float = 1.0,
        publish_s: float = 5.0,
        start_time: datetime | None = None,
        speed: float = 1.0,
        counters: dict[str, float] | None = None,
        counters_at: dict[str, float] | None = None,
        plans: Path | None = None,
    ) -> None:
        """``plans``: the folder where ``zerocarbon plan`` writes day plans; the storage units and EV fleet follow
        today's plan where it covers the instant, their rules elsewhere (simulators.live)."""
        self.site = remap_ports(site, ports or {}, mqtt_host, mqtt_port)
        self.tick_s = tick_s
        self._wall0 = time.time()
        self._sim0 = start_time.timestamp() if start_time else self._wall0
        self._speed = speed
        self.state = LiveState(self.site, seed, counters, counters_at, plans)
        self.served: dict[str, Endpoint] = {  # every device that listens on a port, by the protocol's endpoint
            d.id: ENDPOINTS[d.protocol](d, self.site.template_of(d), host, d.connection.port, self.state.faults)
            for d in self.site.devices
            if d.protocol in ENDPOINTS and hasattr(d.connection, "port")
        }
        self.endpoints = {i: e for i, e in self.served.items() if self.site.device(i).protocol == "modbus"}
        self.bacnet = {i: e for i, e in self.served.items() if self.site.device(i).protocol == "bacnet"}
        broker = self.site.mqtt
        self.publisher = (
            MqttPublisher(self.site, broker.host, broker.port, self.snapshot, self.state.faults, publish_s)
            if publish_mqtt and any(d.protocol == "mqtt" for d in self.site.devices)
            else None
        )
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tick_lock = asyncio.Lock()
        self._physics: ThreadPoolExecutor | None = None
        self._last: tuple[float, dict[str, dict[str, Value]]] = (0.0, {})

    # --- clock and state -------------------------------------------------------------------------------------
    def now(self) -> float:
        """Simulated time, epoch seconds."""
        return self._sim0 + (time.time() - self._wall0) * self._speed

    def snapshot(self) -> tuple[float, dict[str, dict[str, Value]]]:
        return self._last

    def values(self, device_id: str) -> dict[str, Value]:
        """What the device reports right now (after faults), in its template's units."""
        return dict(self._last[1].get(device_id, {}))

    def tick(self) -> None:
        """One tick on the caller's thread (before the serving loop runs)."""
        ts = self.now()
        self._show(ts, self.state.advance(ts))

    def _show(self, ts: float, values: dict[str, dict[str, Value]]) -> None:
        for device_id, endpoint in self.served.items():
            endpoint.update(values[device_id])
        self._last = (ts, values)

    async def _tick_served(self) -> None:
        """A tick while serving: the physics run on a worker thread, because a new day or plan file recomputes
        the whole day (~1 s, many on a loaded host) and the serving loop must keep answering meanwhile (on the
        loop, a read in flight timed out). The registers change on the loop, one tick at a time, in order."""
        async with self._tick_lock:
            ts = self.now()
            values = await asyncio.get_running_loop().run_in_executor(self._physics, self.state.advance, ts)
            self._show(ts, values)

    async def _tick_forever(self) -> None:
        while True:
            await self._tick_served()
            await asyncio.sleep(self.tick_s)

    # --- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> SimulatedSite:
        for endpoint in self.served.values():
            endpoint.prepare()
        self.tick()
        self._physics = ThreadPoolExecutor(1, thread_name_prefix="sim-physics")
        ready = threading.Event()

        async def serve() -> None:
            await asyncio.gather(*(e.start() for e in self.served.values()))
            self.site = remap_ports(self.site, {d: e.port for d, e in self.served.items()})
            self._ticker = asyncio.ensure_future(self._tick_forever())
            ready.set()

        self._thread = threading.Thread(target=self._loop.run_forever, name="sim-site", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(serve(), self._loop).result(30)
        except Exception:
            self.stop()  # close the ports already open before reporting the one that failed
            raise
        ready.wait(30)
        if self.publisher is not None:
            self.publisher.start()
        return self

    def stop(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
        if self._thread is None:
            return

        async def shutdown() -> None:
            if self._ticker is not None:
                self._ticker.cancel()
            await asyncio.gather(*(e.stop() for e in self.served.values()))

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
        if self._physics is not None:
            self._physics.shutdown(wait=True)

    def __enter__(self) -> SimulatedSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- faults ----------------------------------------------------------------------------------------------
    def fault(self, device_id: str, kind: str, **params: Any) -> None:
        """Make ``device_id`` misbehave as ``kind`` (see :mod:`simulators.faults`) until :meth:`clear_fault`."""
        fault = check_fault(self.site.device(device_id), kind, params)
        self.clear_fault(device_id)
        self.state.set_fault(device_id, fault)
        endpoint = self.served.get(device_id)
        if endpoint is not None and kind == "comm_loss" and fault.param("mode") == "close":
            self._on_loop(endpoint.stop())
        self._on_loop(self._retick())

    def clear_fault(self, device_id: str) -> None:
        self.site.device(device_id)
        self.state.clear_fault(device_id)
        endpoint = self.served.get(device_id)
        if endpoint is not None and not endpoint.listening and self._thread is not None:
            self._on_loop(endpoint.start())
        self._on_loop(self._retick())

    def faults(self) -> dict[str, Any]:
        return self.state.describe()

    async def _retick(self) -> None:
        await self._tick_served()  # registers reflect a new fault at once, not at the next tick

    def _on_loop(self, coro: Any) -> None:
        if self._thread is None:
            coro.close()
            return
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)
