"""A toy protocol in one module, shipped the way a plug-in would be: its models, a device that speaks it over
real UDP on loopback, its poller, and :func:`register` (tests/test_protocol_plugin.py).

The protocol: a datagram holding a point name asks for its value; the device answers the value as text.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from collectors.batch import ReadingBatch
from collectors.interface import DeviceHealth
from collectors.registry import Collector, CollectorOptions, register_collector
from models.errors import DeviceTimeout
from models.protocols import ProtocolModels, register_protocol
from models.reading import Quality, ReadingSink, point_id
from models.site import Device, Site
from models.vocabulary import PointKind

TIMEOUT_S = 0.3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ToyConnection(_Frozen):
    host: str
    port: int = Field(ge=1, le=65535)
    toy_id: int  # the field only this protocol has: it tells a toy connection apart


class ToyPoint(_Frozen):
    name: str
    unit: str = ""
    kind: PointKind = PointKind.OTHER
    group: str = "default"


class ToyTemplate(_Frozen):
    id: str
    protocol: Literal["toy"]
    description: str = ""
    points: list[ToyPoint]


class ToyDevice(asyncio.DatagramProtocol):
    """The device: answers each point name with its value; unknown names get no answer."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        value = self.values.get(data.decode())
        if value is not None:
            self.transport.sendto(repr(value).encode(), addr)


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.answers.put_nowait(data)


class ToyPoller:
    protocol = "toy"

    def __init__(self, device: Device, template: ToyTemplate) -> None:
        assert isinstance(device.connection, ToyConnection)
        self.device, self.connection = device, device.connection
        self.groups: dict[str, list[ToyPoint]] = {}
        for p in template.points:
            self.groups.setdefault(p.group, []).append(p)
        self.intervals = {g: float(device.poll_s.get(g, device.poll_s.get("default", 5.0))) for g in self.groups}
        self.health = DeviceHealth(device.id, requests_per_cycle={g: len(ps) for g, ps in self.groups.items()})
        self._transport: Any = None
        self._client = _Client()

    async def start(self, sink: ReadingSink | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: self._client, remote_addr=(self.connection.host, self.connection.port))

    async def poll(self, group: str) -> ReadingBatch:
        points = self.groups[group]
        ids = [point_id(self.device.id, p.name) for p in points]
        if self.health.backing_off(time.monotonic()):
            return ReadingBatch(ids, time.time(), [float("nan")] * len(ids), [Quality.COMM_LOSS] * len(ids))
        values = []
        try:
            for p in points:
                self._transport.sendto(p.name.encode())
                values.append(float(await asyncio.wait_for(self._client.answers.get(), TIMEOUT_S)))
        except TimeoutError:
            self.health.note_comm_loss(DeviceTimeout("no answer", device=self.device.id), self.intervals[group],
                                       300.0)
            return ReadingBatch(ids, time.time(), [float("nan")] * len(ids), [Quality.COMM_LOSS] * len(ids))
        ts = time.time()
        self.health.note_ok(ts)
        return ReadingBatch(ids, ts, values)

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _poller(device: Device, site: Site, options: CollectorOptions) -> ToyPoller:
    template = site.template_of(device)
    assert isinstance(template, ToyTemplate)
    return ToyPoller(device, template)


def register() -> None:
    """All a new protocol adds to zerocarbon, from this module: its models row and its collector row."""
    register_protocol(ProtocolModels("toy", "Toy", ToyConnection, ToyTemplate, "toy_id", True, "udp"))
    register_collector(Collector("toy", poller=_poller))
