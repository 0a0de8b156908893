"""The on-disk spool: every reading is on disk before anything else happens to it.

Telegraf's memory buffer overwrites the oldest metrics, Home Assistant's Influx export drops events older
than 30 s, MyEMS logs insert errors and moves on (research/anchors.md). Here a reading goes

    collector --put--> Spool (append-only segment files) --SpoolDrainer--> ReadingWriter (the store)

``put`` writes each batch as one record straight into the kernel (``os.write``, so a ``kill -9`` loses
nothing) and a sync thread ``fsync``\\ s at least every ``sync_interval_s``. The drainer reads records from the
acknowledged position, writes them to the store in batches and only then moves the acknowledgement forward;
whole segments behind it are deleted. A crash between write and acknowledgement replays a batch, which is
harmless because stores overwrite on (point_id, ts).

The record format is in :mod:`collectors.spool_record`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectors.spool_record import HEADER, MAGIC, decode, encode
from models.reading import Reading

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Cursor:
    segment: int
    offset: int


@dataclass
class Batch:
    readings: list[Reading]
    end: Cursor


class Spool:
    """A durable :class:`~models.reading.ReadingSink`. Thread-safe; ``put`` never waits on the store."""

    def __init__(
        self,
        directory: Path | str,
        max_bytes: int = 512 * 1024 * 1024,
        *,
        segment_bytes: int = 8 * 1024 * 1024,
        sync_interval_s: float = 0.5,
        warn_fraction: float = 0.8,
    ) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.segment_bytes, self.warn_fraction = max_bytes, segment_bytes, warn_fraction
        self._lock = threading.Lock()
        self.acked = self._load_ack()
        self.read_pos = self.acked
        self.pending, self.bytes = self._scan()
        self.dropped = 0
        self.accepted = 0  # readings put since this process opened the spool
        self._alarm = ""
        self.segment = max([self.acked.segment, *self._segments()], default=0) + 1  # never append to an old file
        self._fd = self._open(self.segment)
        self._size = 0
        self._dirty = False
        self._retired: list[int] = []  # descriptors of full segments, fsynced and closed by the sync thread
        self._closed = threading.Event()
        self._syncer = threading.Thread(target=self._sync_loop, args=(sync_interval_s,), name="spool-sync", daemon=True)
        self._syncer.start()

    # -- files ---------------------------------------------------------------------------------------------
    def _path(self, segment: int) -> Path:
        return self.dir / f"{segment:012d}.seg"

    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.dir.glob("*.seg"))

    def _open(self, segment: int) -> int:
        return os.open(self._path(segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _load_ack(self) -> Cursor:
        try:
            data = json.loads((self.dir / "ack.json").read_text())
            return Cursor(int(data["segment"]), int(data["offset"]))
        except (OSError, ValueError, KeyError):
            return Cursor(0, 0)

    def _scan(self) -> tuple[int, int]:
        """Readings and bytes not yet acknowledged, from the record headers on disk (after a restart)."""
        pending = size = 0
        for seg in self._segments():
            if seg < self.acked.segment:
                self._path(seg).unlink(missing_ok=True)
                continue
            start = self.acked.offset if seg == self.acked.segment else 0
            size += self._path(seg).stat().st_size - start
            with self._path(seg).open("rb") as f:
                f.seek(start)
                while (head := f.read(HEADER.size)) and len(head) == HEADER.size:
                    magic, n, length, _, _ = HEADER.unpack(head)
                    if magic != MAGIC:
                        break
                    pending += n
                    f.seek(length, os.SEEK_CUR)
        return pending, size

    # -- writing -------------------------------------------------------------------------------------------
    def put(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        record = encode(readings)
        with self._lock:
            if self.bytes + len(record) > self.max_bytes:
                self._refuse(len(readings))
                return
            if self._size >= self.segment_bytes:
                self._rotate()
            os.write(self._fd, record)
            self._size += len(record)
            self.bytes += len(record)
            self.pending += len(readings)
            self.accepted += len(readings)
            self._dirty = True
            self._check_fill()

    def _rotate(self) -> None:
        """Start the next segment; the full one is fsynced and closed by the sync thread, not here: ``put``
        runs on the collector's event loop, where an fsync of 8 MiB held every device's next read."""
        self._retired.append(self._fd)
        self.segment += 1
        self._fd = self._open(self.segment)
        self._size = 0

    def _refuse(self, n: int) -> None:
        self.dropped += n
        if self._alarm != "full":
            log.error(
                "spool %s is full (%d of %d bytes): dropping new readings until the store takes the backlog; "
                "check the store, or raise ZEROCARBON_SPOOL_MAX_MB", self.dir, self.bytes, self.max_bytes,
            )
        self._alarm = "full"

    def _check_fill(self) -> None:
        nearly = self.bytes >= self.warn_fraction * self.max_bytes
        if nearly and not self._alarm:
            self._alarm = "nearly_full"
            log.warning(
                "spool %s is %.0f%% full (%d readings waiting for the store); it refuses new readings at 100%%",
                self.dir, 100 * self.bytes / self.max_bytes, self.pending,
            )
        elif not nearly and self._alarm:
            log.info("spool %s back to %.0f%% full", self.dir, 100 * self.bytes / self.max_bytes)
            self._alarm = ""

    def sync(self) -> None:
        with self._lock:
            retired, self._retired = self._retired, []
            if not self._dirty and not retired:
                return
            self._dirty = False
            fds = [*retired, os.dup(self._fd)]
        for fd in fds:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _sync_loop(self, interval_s: float) -> None:
        while not self._closed.wait(interval_s):
            self.sync()

    # -- draining ------------------------------------------------------------------------------------------
    def read_batch(self, max_readings: int = 5000) -> Batch | None:
        """Readings after the last batch handed out (not yet acknowledged), whole records up to about
        ``max_readings``; None when nothing waits."""
        readings: list[Reading] = []
        pos = self.read_pos
        while len(readings) < max_readings:
            got = self._read_record(pos)
            if got is None:
                with self._lock:
                    current = self.segment
                if pos.segment >= current:
                    break
                pos = Cursor(pos.segment + 1, 0)
                continue
            records, pos = got
            readings += records
        if not readings:
            self.read_pos = pos
            return None
        self.read_pos = pos
        return Batch(readings, pos)

    def _read_record(self, pos: Cursor) -> tuple[list[Reading], Cursor] | None:
        try:
            with self._path(pos.segment).open("rb") as f:
                f.seek(pos.offset)
                head = f.read(HEADER.size)
                if len(head) < HEADER.size:
                    return None
                magic, n, length, crc, _ = HEADER.unpack(head)
                payload = f.read(length)
        except FileNotFoundError:
            return None
        if magic != MAGIC or len(payload) < length or zlib.crc32(payload) != crc:
            if pos.segment < self.segment:  # a record torn by a crash: nothing after it in this file is whole
                log.warning("spool segment %s: torn record at byte %d skipped", self._path(pos.segment), pos.offset)
            return None
        return decode(n, payload), Cursor(pos.segment, pos.offset + HEADER.size + length)

    def rewind(self) -> None:
        """Hand out again everything not acknowledged (after a failed store write)."""
        self.read_pos = self.acked

    def ack(self, batch: Batch) -> None:
        """The store confirmed ``batch``: move the acknowledgement and delete finished segments."""
        with self._lock:
            freed = self._distance(self.acked, batch.end)
            self.acked = batch.end
            self.pending -= len(batch.readings)
            self.bytes -= freed
            current = self.segment
            self._check_fill()
        tmp = self.dir / "ack.tmp"
        tmp.write_text(json.dumps({"segment": batch.end.segment, "offset": batch.end.offset}))
        os.replace(tmp, self.dir / "ack.json")
        for seg in self._segments():
            if seg < batch.end.segment and seg < current:
                self._path(seg).unlink(missing_ok=True)

    def _distance(self, a: Cursor, b: Cursor) -> int:
        if a.segment == b.segment:
            return b.offset - a.offset
        total = b.offset
        for seg in range(a.segment, b.segment):
            path = self._path(seg)
            size = path.stat().st_size if path.exists() else 0
            total += size - (a.offset if seg == a.segment else 0)
        return total

    # -- health --------------------------------------------------------------------------------------------
    def oldest_ts(self) -> float | None:
        pos = self.acked
        for _ in range(3):
            try:
                with self._path(pos.segment).open("rb") as f:
                    f.seek(pos.offset)
                    head = f.read(HEADER.size)
            except FileNotFoundError:
                head = b""
            if len(head) == HEADER.size:
                return float(HEADER.unpack(head)[4])
            if pos.segment >= self.segment:
                return None
            pos = Cursor(pos.segment + 1, 0)
        return None

    def status(self) -> dict[str, Any]:
        oldest = self.oldest_ts() if self.pending else None
        return {
            "depth": self.pending,
            "age_s": None if oldest is None else max(0.0, time.time() - oldest),
            "bytes": self.bytes,
            "max_bytes": self.max_bytes,
            "alarm": self._alarm,
            "dropped": self.dropped,
        }

    def close(self) -> None:
        self._closed.set()
        self._syncer.join(5)
        with self._lock:
            for fd in [*self._retired, self._fd]:
                os.fsync(fd)
                os.close(fd)
            self._retired = []


from collectors.drain import SpoolDrainer  # noqa: E402  (the agreed name collectors.spool.SpoolDrainer)

__all__ = ["Batch", "Cursor", "Spool", "SpoolDrainer", "decode", "encode"]
