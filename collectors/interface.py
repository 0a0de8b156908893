"""What every collector offers the service, whatever its protocol: the seam :mod:`collectors.registry` fills.

Two shapes, because devices are reached two ways:

- a :class:`Poller` owns one device's connection (Modbus TCP, BACnet/IP): the service calls ``poll(group)`` on
  each polling group's interval and hands the batch to the sink; a poller that can also be told of changes
  (BACnet COV) puts those readings into the sink given to ``start``.
- a :class:`Subscriber` owns one connection for many devices (an MQTT broker) and puts readings into the sink
  as messages arrive.

Both report per-device health rows for ``zerocarbon status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from collectors.batch import ReadingBatch
from models.reading import ReadingSink
from models.site import Device


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
    suspect_readings: int = 0  # values outside their point's plausible range (stored as quality suspect)
    retry_at: float = 0.0  # monotonic time before which a failing device is not asked again


class Poller(Protocol):
    """One device, polled per group; every cycle returns readings (values, or comm-loss marks)."""

    @property
    def protocol(self) -> str: ...
    @property
    def device(self) -> Device: ...
    @property
    def groups(self) -> Mapping[str, Any]: ...  # polling group -> what the poller reads for it
    @property
    def intervals(self) -> Mapping[str, float]: ...  # polling group -> seconds
    @property
    def health(self) -> DeviceHealth: ...

    async def start(self, sink: ReadingSink) -> None: ...
    async def poll(self, group: str) -> ReadingBatch: ...
    async def stop(self) -> None: ...


class Subscriber(Protocol):
    """Many devices behind one connection; readings go to the sink as they arrive."""

    @property
    def devices(self) -> list[Device]: ...

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def device_status(self) -> list[dict[str, Any]]: ...
    def stats(self) -> dict[str, Any]: ...
