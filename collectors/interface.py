"""What every collector offers the service, whatever its protocol: the seam :mod:`collectors.registry` fills.

Two shapes, because devices are reached two ways:

- a :class:`Poller` owns one device's connection (Modbus TCP, BACnet/IP): the service calls ``poll(group)`` on
  each polling group's interval and hands the batch to the sink; a poller that can also be told of changes
  (BACnet COV) puts those readings into the sink given to ``start``.
- a :class:`Subscriber` owns one connection for many devices (an MQTT broker) and puts readings into the sink
  as messages arrive.

Both report per-device health rows for ``zerocarbon status``. A poller keeps them with the one comm-loss and
backoff rule every protocol follows (:class:`DeviceHealth`'s ``note_*`` methods and ``backing_off``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from collectors.batch import ReadingBatch
from models.reading import ReadingSink
from models.site import Device

log = logging.getLogger("collectors.health")


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

    def backing_off(self, now: float) -> bool:
        """True while a device that stopped answering waits out its backoff: its points are marked comm_loss
        without asking it."""
        return now < self.retry_at

    def note_ok(self, ts: float) -> None:
        """A cycle answered in full: the device is ``ok`` and its backoff is over."""
        if self.state in ("comm_loss", "device_error"):
            log.info("%s: answering again after %d failed cycle(s)", self.device, self.consecutive_failures)
        self.state, self.last_ok_ts, self.consecutive_failures, self.retry_at, self.last_error = "ok", ts, 0, 0.0, ""
        self.cycles += 1

    def note_error(self, exc: Exception, state: str | None = None) -> None:
        """The device answered, but not with a value (an exception response, an unknown object): logged at ERROR
        when the message (or ``state``) is new, at DEBUG while it repeats."""
        new = self.last_error != str(exc) or (state is not None and self.state != state)
        (log.error if new else log.debug)("%s", exc)
        self.last_error = str(exc)
        if state is not None:
            self.state = state

    def note_failed_cycle(self, state: str = "device_error") -> None:
        """A cycle that answered with some points in error: counted as failed, no backoff (it is answering)."""
        self.cycles += 1
        self.failed_cycles += 1
        self.state = state

    def note_comm_loss(self, exc: Exception, interval_s: float, max_backoff_s: float) -> None:
        """No answer within the timeout: the cycle's points are marked comm_loss by the poller, and the device is
        asked again after 1, 2, 4... intervals (at most ``max_backoff_s``), due by the cycle after the backoff.
        Logged at ERROR when the device stops answering, then at DEBUG while it stays silent."""
        if self.state != "comm_loss":
            log.error("%s; marking its points comm_loss and retrying with backoff", exc)
        else:
            log.debug("still not answering: %s", exc)
        self.state, self.last_error = "comm_loss", str(exc)
        self.cycles += 1
        self.failed_cycles += 1
        self.consecutive_failures += 1
        backoff = min(interval_s * 2 ** (self.consecutive_failures - 1), max_backoff_s)
        self.retry_at = time.monotonic() + backoff - 0.5 * interval_s


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
