"""Readings and their quality: what flows from collectors through the spool to the store.

A reading is one value of one point at one instant. Bad data never becomes a silent number: a value the
device marked "not implemented", a dead device or a rejected glitch is a reading with ``value=None`` (or a
kept value) and a quality that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Quality(StrEnum):
    """Why a value is (or is not) trustworthy. Stored beside every value."""

    GOOD = "good"
    NOT_IMPLEMENTED = "not_implemented"  # SunSpec sentinel (0x8000, 0xFFFF, NaN): the device has no such value
    COMM_LOSS = "comm_loss"  # device did not answer within its interval(s)
    DEVICE_ERROR = "device_error"  # Modbus exception response or device fault
    BAD_PAYLOAD = "bad_payload"  # MQTT field missing, wrong type, NaN
    SUSPECT = "suspect"  # read fine but outside the point's plausible ``range``: kept, never trusted as good
    STALE = "stale"  # value did not change when it should have (stuck sensor)
    ESTIMATED = "estimated"  # filled or integrated, not measured
    GAP = "gap"  # no data for an interval
    OUT_OF_SERVICE = "out_of_service"  # BACnet out-of-service flag: the value is set by hand, not measured

    @property
    def is_good(self) -> bool:
        return self is Quality.GOOD


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of one point.

    ``ts`` is seconds since the Unix epoch, UTC: cheap to spool and to hand to any store.
    ``point_id`` is ``"<device id>.<point name>"`` as declared in the site file.
    """

    point_id: str
    ts: float
    value: float | None
    quality: Quality = Quality.GOOD


class ReadingSink(Protocol):
    """Where collectors hand readings (the spool). Must not block the caller on a slow store."""

    def put(self, readings: Sequence[Reading]) -> None: ...


class ReadingWriter(Protocol):
    """What the spool drains into: a store. ``write`` returns only once the batch is durable in the store,
    and raises :class:`models.errors.StoreError` (``StoreUnavailable`` when unreachable) otherwise.
    Writing the same (point_id, ts) twice overwrites: replays never double count."""

    def write(self, readings: Sequence[Reading]) -> None: ...


def point_id(device_id: str, point_name: str) -> str:
    """The one place a point id is spelled."""
    return f"{device_id}.{point_name}"


def split_point_id(pid: str) -> tuple[str, str]:
    """Inverse of :func:`point_id`; device ids never contain a dot (validated in the site model)."""
    device, _, name = pid.partition(".")
    if not name:
        raise ValueError(f"point id {pid!r} is not '<device>.<point>'")
    return device, name
