"""The spool's record: one batch of readings as bytes, CRC-checked, cheap to write and to read back.

Layout (little-endian): header ``b"ZS" n:u32 payload_len:u32 crc32:u32 oldest_ts:f64``, then payload
``ts[n]:f64, value[n]:f64 (NaN = no value), quality[n]:u8, point ids joined by NUL (UTF-8)``.
"""

from __future__ import annotations

import math
import struct
import zlib
from array import array
from collections.abc import Sequence
from operator import attrgetter

from collectors.batch import ReadingBatch
from models.reading import Quality, Reading

HEADER = struct.Struct("<2sIIId")
MAGIC = b"ZS"
QUALITIES = list(Quality)  # code 0 is GOOD: bytes(n) is "all good"
QUALITY_CODE = {q: i for i, q in enumerate(QUALITIES)}
_TS, _VALUE, _QUALITY, _PID = attrgetter("ts"), attrgetter("value"), attrgetter("quality"), attrgetter("point_id")
NAN = math.nan


def encode(readings: Sequence[Reading]) -> bytes:
    if isinstance(readings, ReadingBatch):
        return _encode_batch(readings)
    ts = array("d", map(_TS, readings))
    values = array("d", [NAN if v is None else v for v in map(_VALUE, readings)])
    qualities = bytes(map(QUALITY_CODE.__getitem__, map(_QUALITY, readings)))
    payload = b"".join((ts.tobytes(), values.tobytes(), qualities, "\0".join(map(_PID, readings)).encode()))
    return HEADER.pack(MAGIC, len(readings), len(payload), zlib.crc32(payload), min(ts)) + payload


def _encode_batch(batch: ReadingBatch) -> bytes:
    """The same record from columns, without building Reading objects (the polling fast path)."""
    n = len(batch.values)
    qualities = bytes(n) if batch.qualities is None else bytes(map(QUALITY_CODE.__getitem__, batch.qualities))
    payload = b"".join((array("d", [batch.ts]).tobytes() * n, array("d", batch.values).tobytes(), qualities,
                        batch.pid_blob))
    return HEADER.pack(MAGIC, n, len(payload), zlib.crc32(payload), batch.ts) + payload


def decode(n: int, payload: bytes) -> list[Reading]:
    ts, values = array("d"), array("d")
    ts.frombytes(payload[: 8 * n])
    values.frombytes(payload[8 * n : 16 * n])
    qualities = payload[16 * n : 17 * n]
    pids = payload[17 * n :].decode().split("\0")
    return [
        Reading(p, t, None if v != v else v, QUALITIES[q])
        for p, t, v, q in zip(pids, ts, values, qualities, strict=True)
    ]
