"""Modbus TCP polling: one connection and one poller per device, read-only, never blocking another device.

pymodbus allows one request in flight per connection (feasibility §3.2), so parallelism comes from devices,
each with its own connection and its own scheduled jobs (:mod:`collectors.service`). A poll cycle reads the
group's planned blocks (:mod:`collectors.planner`) and decodes each with one ``struct`` call
(:mod:`collectors.decode`). A device that does not answer turns into readings with
:attr:`Quality.COMM_LOSS` in the same cycle (so within two intervals of its last good answer), and its
retries back off exponentially up to ``max_backoff_s``, like OpenEMS' defective-component list. A dead device
is logged once at ERROR, then at DEBUG until it recovers (Home Assistant's ``_log_error``).

The collector only ever sends function codes 3 and 4: nothing here can write to a device.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from collectors.decode import BlockDecoder, ByteOrder, Raw, scale_value
from collectors.planner import PlanLimits, ReadBlock, plan_device
from models.errors import DeviceError, DeviceExceptionResponse, DeviceTimeout
from models.reading import Quality, Reading, point_id
from models.resolve import register_points
from models.site import Device, ModbusConnection
from models.template import ModbusTemplate, RegisterPoint
from models.vocabulary import DataType

log = logging.getLogger(__name__)
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # it logs every timeout at ERROR; we log per device


class DeviceReader:
    """The transport seam: read registers of one device, translating pymodbus errors into ours."""

    def __init__(self, device_id: str, connection: ModbusConnection, timeout_s: float) -> None:
        self.device_id = device_id
        self.connection = connection
        self.timeout_s = timeout_s
        self._client: AsyncModbusTcpClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def client(self) -> AsyncModbusTcpClient:
        """The connection, made on first use in the running loop (pymodbus binds a client to its loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            c = self.connection
            self._client = AsyncModbusTcpClient(
                c.host, port=c.port, timeout=self.timeout_s, retries=0, reconnect_delay=0
            )
            self._loop = loop
        return self._client

    def _where(self, block: ReadBlock) -> str:
        c = self.connection
        return f"{c.host}:{c.port} unit {c.unit_id} {block}"

    async def read(self, block: ReadBlock) -> list[int]:
        client = self.client
        if not client.connected and not await client.connect():
            raise DeviceTimeout(f"cannot connect to {self._where(block)}", device=self.device_id)
        read = client.read_input_registers if block.register_type == "input" else client.read_holding_registers
        try:
            response = await read(block.address, count=block.count, device_id=self.connection.unit_id)
        except (ModbusIOException, ConnectionException) as exc:
            client.close()  # drop a late answer instead of matching it to the next request
            raise DeviceTimeout(f"no answer from {self._where(block)}", device=self.device_id) from exc
        except ModbusException as exc:
            client.close()
            raise DeviceError(f"{self._where(block)}: {exc}", device=self.device_id) from exc
        if response.isError():
            code = getattr(response, "exception_code", "?")
            raise DeviceExceptionResponse(
                f"exception code {code} reading {self._where(block)}; check the template's addresses or "
                "add the range to 'forbidden'",
                device=self.device_id,
                address=block.address,
            )
        return list(response.registers)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@dataclass
class GroupPlan:
    """What one polling group of a device reads and how it turns into readings."""

    blocks: list[ReadBlock]
    decoders: list[BlockDecoder]
    outputs: list[tuple[str, RegisterPoint]]  # (point id, point) of every numeric point, in block order


def compile_group(device_id: str, blocks: list[ReadBlock], order: ByteOrder) -> GroupPlan:
    decoders = [BlockDecoder(b.address, b.count, b.points, order) for b in blocks]
    outputs = [
        (point_id(device_id, p.name), p) for b in blocks for p in b.points if p.type is not DataType.STRING
    ]
    return GroupPlan(blocks, decoders, outputs)


@dataclass
class DeviceHealth:
    device: str
    state: str = "starting"  # ok | comm_loss | device_error | starting
    last_ok_ts: float | None = None
    last_error: str = ""
    consecutive_failures: int = 0
    cycles: int = 0
    failed_cycles: int = 0
    requests_per_cycle: dict[str, int] = field(default_factory=dict)
    last_cycle_ms: float = 0.0
    retry_at: float = 0.0  # monotonic time before which a failing device is not asked again


class DevicePoller:
    """Polls one device's groups; every cycle returns readings (values, or comm-loss marks)."""

    def __init__(
        self, device: Device, template: ModbusTemplate, *, max_backoff_s: float = 300.0, text_points: bool = False
    ) -> None:
        assert isinstance(device.connection, ModbusConnection)
        self.device = device
        self.intervals = _intervals(device, template)
        timeout = min(device.connection.timeout_s, 0.9 * min(self.intervals.values()))
        self.reader = DeviceReader(device.id, device.connection, timeout)
        points = [p for p in register_points(template) if text_points or p.type is not DataType.STRING]
        order = ByteOrder(template.byte_order, template.word_order)
        plans = plan_device(points, PlanLimits.of(template))
        self.groups = {g: compile_group(device.id, blocks, order) for g, blocks in plans.items()}
        self.health = DeviceHealth(device.id, requests_per_cycle={g: len(p.blocks) for g, p in self.groups.items()})
        self.max_backoff_s = max_backoff_s

    async def poll(self, group: str) -> list[Reading]:
        plan = self.groups[group]
        started = time.monotonic()
        if started < self.health.retry_at:
            return self._marks(plan, Quality.COMM_LOSS)
        raws: dict[str, Raw] = {}
        failed: set[int] = set()
        try:
            for i, (block, decoder) in enumerate(zip(plan.blocks, plan.decoders, strict=True)):
                try:
                    raws.update(decoder.raw(await self.reader.read(block)))
                except DeviceExceptionResponse as exc:
                    failed.add(i)
                    self._note_error(exc, "device_error")
        except DeviceError as exc:
            self._note_comm_loss(exc, group)
            return self._marks(plan, Quality.COMM_LOSS)
        self.health.last_cycle_ms = (time.monotonic() - started) * 1000
        return self._readings(plan, raws, failed)

    def _readings(self, plan: GroupPlan, raws: dict[str, Raw], failed: set[int]) -> list[Reading]:
        ts = time.time()
        if failed:
            bad = {p.name for i in failed for p in plan.blocks[i].points}
            self.health.cycles += 1
            self.health.failed_cycles += 1
        else:
            self._note_ok(ts)
            bad = set()
        out = []
        for pid, p in plan.outputs:
            if p.name in bad:
                out.append(Reading(pid, ts, None, Quality.DEVICE_ERROR))
            else:
                value, quality = scale_value(p, raws[p.name], raws)
                out.append(Reading(pid, ts, value, quality))
        return out

    def _marks(self, plan: GroupPlan, quality: Quality) -> list[Reading]:
        ts = time.time()
        return [Reading(pid, ts, None, quality) for pid, _ in plan.outputs]

    def _note_ok(self, ts: float) -> None:
        h = self.health
        if h.state in ("comm_loss", "device_error"):
            log.info("%s: answering again after %d failed cycle(s)", self.device.id, h.consecutive_failures)
        h.state, h.last_ok_ts, h.consecutive_failures, h.retry_at, h.last_error = "ok", ts, 0, 0.0, ""
        h.cycles += 1

    def _note_error(self, exc: DeviceError, state: str) -> None:
        h = self.health
        first = h.state != state or h.last_error != str(exc)
        (log.error if first else log.debug)("%s", exc)
        h.state, h.last_error = state, str(exc)

    def _note_comm_loss(self, exc: DeviceError, group: str) -> None:
        h = self.health
        if h.state != "comm_loss":
            log.error("%s: %s; marking its points comm_loss and retrying with backoff", self.device.id, exc)
        else:
            log.debug("%s still not answering: %s", self.device.id, exc)
        h.state, h.last_error = "comm_loss", str(exc)
        h.cycles += 1
        h.failed_cycles += 1
        h.consecutive_failures += 1
        backoff = min(self.intervals[group] * 2 ** (h.consecutive_failures - 1), self.max_backoff_s)
        h.retry_at = time.monotonic() + backoff - 0.5 * self.intervals[group]  # due by the cycle after backoff

    def close(self) -> None:
        self.reader.close()


def _intervals(device: Device, template: ModbusTemplate) -> dict[str, float]:
    default = device.poll_s.get("default", 5.0)
    groups = {p.group for p in register_points(template)}
    return {g: float(device.poll_s.get(g, default)) for g in groups}
