"""One worker thread per channel: bounded queue, priority filter, deduplication and a rate limit.

``notify`` never blocks the engine: when the queue is full the notification is dropped and counted. The
rate limit is a token bucket of ``rate_per_minute``; an alarm flood beyond it is dropped and counted rather
than queued for an hour (ISA-18.2 flood handling: the console still shows every alarm).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from alerts.notify.message import Notification
from alerts.rules import ChannelBase, Priority

log = logging.getLogger(__name__)
Send = Callable[[Notification], None]


@dataclass
class ChannelStats:
    sent: int = 0
    failed: int = 0
    deduplicated: int = 0
    rate_limited: int = 0
    filtered: int = 0
    queue_full: int = 0


class ChannelWorker:
    """Runs ``send`` (which may block and raise) for each accepted notification, on its own thread."""

    def __init__(
        self,
        name: str,
        config: ChannelBase,
        send: Send,
        queue_size: int = 1000,
        closer: Callable[[], None] | None = None,
    ) -> None:
        self.name, self.config, self._send, self._closer = name, config, send, closer
        self.stats = ChannelStats()
        self._queue: queue.Queue[Notification | None] = queue.Queue(queue_size)
        self._seen: dict[tuple[int, str], float] = {}
        self._tokens = config.rate_per_minute
        self._refilled = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"notify-{name}", daemon=True)
        self._thread.start()

    def notify(self, note: Notification) -> None:
        if note.event not in self.config.events or Priority(note.priority).rank > self.config.min_priority.rank:
            self.stats.filtered += 1
            return
        try:
            self._queue.put_nowait(note)
        except queue.Full:
            self.stats.queue_full += 1
            log.warning("alarm channel %s: queue full, dropped %s", self.name, note.subject)

    def _run(self) -> None:
        while (note := self._queue.get()) is not None:
            try:
                if self._accept(note):
                    self._deliver(note)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _accept(self, note: Notification) -> bool:
        now = time.monotonic()
        last = self._seen.get(note.dedup_key)
        if last is not None and now - last < self.config.dedup_s:
            self.stats.deduplicated += 1
            return False
        per_s = self.config.rate_per_minute / 60.0
        self._tokens = min(self.config.rate_per_minute, self._tokens + (now - self._refilled) * per_s)
        self._refilled = now
        if self._tokens < 1.0:
            self.stats.rate_limited += 1
            log.warning("alarm channel %s: rate limit reached, dropped %s", self.name, note.subject)
            return False
        self._tokens -= 1.0
        self._seen[note.dedup_key] = now
        return True

    def _deliver(self, note: Notification) -> None:
        try:
            self._send(note)
            self.stats.sent += 1
        except Exception as exc:  # a channel's failure is logged and counted, never raised into the engine
            self.stats.failed += 1
            log.error("alarm channel %s: could not send alarm %s: %s", self.name, note.alarm_id, exc)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far was handled (for tests and orderly shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self, timeout_s: float = 10.0) -> None:
        self._queue.put(None, timeout=timeout_s)
        self._thread.join(timeout_s)
        if self._closer is not None:
            self._closer()
