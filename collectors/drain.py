"""Drain the spool into a store, in batches, acknowledging only what the store confirmed.

A store outage of any length just leaves readings in the spool: the drainer retries the same batch with a
capped exponential backoff and logs the outage once at ERROR, then once when the store is back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from models.reading import ReadingWriter

if TYPE_CHECKING:  # annotations only: collectors.spool re-exports SpoolDrainer, so a runtime import is a cycle
    from collectors.spool import Batch, Spool

log = logging.getLogger(__name__)


class SpoolDrainer:
    def __init__(
        self,
        spool: Spool,
        writer: ReadingWriter,
        *,
        batch_size: int = 5000,
        idle_s: float = 0.2,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.spool = spool
        self.writer = writer
        self.batch_size = batch_size
        self.idle_s = idle_s
        self.max_backoff_s = max_backoff_s
        self.written = 0
        self.failures = 0
        self.store_ok = True
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_once(self) -> int:
        """Write and acknowledge one batch; returns readings written (0 when the spool is empty).
        Raises what the writer raised; the batch is handed out again next time."""
        batch = self.spool.read_batch(self.batch_size)
        if batch is None:
            return 0
        try:
            self.writer.write(batch.readings)
        except BaseException:
            self.spool.rewind()
            raise
        self._acknowledge(batch)
        return len(batch.readings)

    def _acknowledge(self, batch: Batch) -> None:
        self.spool.ack(batch)
        self.written += len(batch.readings)
        if not self.store_ok:
            log.info("store is writable again; draining %d spooled readings", self.spool.pending)
        self.store_ok, self.last_error = True, ""

    def run(self) -> None:
        """Drain until :meth:`stop`; never raises."""
        backoff = 0.0
        while not self._stop.is_set():
            try:
                n = self.drain_once()
            except Exception as exc:  # any store failure: keep the readings, wait, retry
                self._note_failure(exc)
                backoff = min(max(2 * backoff, 0.5), self.max_backoff_s)
                self._stop.wait(backoff)
                continue
            backoff = 0.0
            if n == 0:
                self._stop.wait(self.idle_s)

    def _note_failure(self, exc: Exception) -> None:
        self.failures += 1
        if self.store_ok:
            log.error("store write failed (%s); keeping readings in the spool and retrying", exc)
        else:
            log.debug("store still failing: %s", exc)
        self.store_ok, self.last_error = False, str(exc)

    def start(self) -> SpoolDrainer:
        self._thread = threading.Thread(target=self.run, name="spool-drain", daemon=True)
        self._thread.start()
        return self

    def stop(self, flush_timeout_s: float = 5.0) -> None:
        """Stop after trying to drain what is left for up to ``flush_timeout_s`` (what does not make it
        stays in the spool for the next start)."""
        deadline = time.monotonic() + flush_timeout_s
        while self.spool.pending and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(flush_timeout_s + 30)

    def status(self) -> dict[str, Any]:
        return {"store_ok": self.store_ok, "written": self.written, "store_failures": self.failures,
                "last_store_error": self.last_error}
