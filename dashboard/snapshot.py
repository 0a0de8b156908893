"""Compute once, serve many: the console's shared snapshots.

What a page shows is the same for every viewer of the same page, period and language, so it is computed once
per refresh tick and handed to every request that asks within that tick. Twenty browsers on the Overview
cost one energy query per tick, not twenty (issue 15: without this, 20 clients pushed p99 past a minute).

Pages call it through the console::

    def _refresh_kpis(_n: int, lang: str) -> list[Any]:
        return console.snapshot("overview", "kpis", lang, lambda: kpi_tiles(overview_kpis(console), lang))

Rules for ``compute``:

- it must not depend on who is asking (no ``current_user``, no ``allowed()``): the result is shared by all
  signed-in users. Role-dependent parts stay outside the snapshot, or put the role into ``period``;
- it runs either in the request's thread (first ever call of a key) or in the refresh thread (later ticks),
  so it must not read ``flask.request`` either.

Behaviour per key ``(page, period, lang)``:

- fresh (younger than ``ttl_s``, default one refresh tick): the stored value, no work;
- stale: the stored value at once, and one background refresh is started (never two for one key), so no
  viewer waits for a recomputation that a tick later is shared by all;
- never computed: the first caller computes in its own thread; callers arriving meanwhile wait for that
  result (up to ``wait_s``) instead of computing it again;
- a failing ``compute`` raises in every caller waiting for it and is not stored; the next call retries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from models.errors import SnapshotTimeout

T = TypeVar("T")
log = logging.getLogger("zerocarbon.dashboard.snapshot")
Key = tuple[str, str, str]
MAX_KEYS = 256  # pages x periods x languages is a few dozen; the cap only guards against free-form periods
REFRESH_THREADS = 2  # 2 cores: more parallel recomputations would only slow each other down



@dataclass
class _Entry:
    value: Any = None
    computed_at: float | None = None  # monotonic; None until the first computation succeeded
    running: threading.Event | None = None  # set when the computation in flight ends
    error: BaseException | None = None  # of the computation that just ended (for its waiters)
    hits: int = 0
    computations: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Snapshots:
    """The shared snapshot store of one console (see the module docstring)."""

    def __init__(self, refresh_s: float, wait_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh_s = refresh_s
        self.wait_s = wait_s
        self._clock = clock
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(REFRESH_THREADS, thread_name_prefix="console-snapshot")

    def get(self, page: str, period: str, lang: str, compute: Callable[[], T], ttl_s: float | None = None) -> T:
        entry = self._entry((page, period, lang))
        ttl = self.refresh_s if ttl_s is None else ttl_s
        with entry.lock:
            entry.hits += 1
            age = None if entry.computed_at is None else self._clock() - entry.computed_at
            if age is not None and age < ttl:
                return entry.value  # type: ignore[no-any-return]
            if age is not None:  # stale: serve it, refresh behind
                if entry.running is None:
                    entry.running = threading.Event()
                    self._pool.submit(self._compute, entry, compute)
                return entry.value  # type: ignore[no-any-return]
            if entry.running is None:
                entry.running = threading.Event()
                first = True
            else:
                first = False
            running = entry.running
        if first:
            self._compute(entry, compute)
        elif not running.wait(self.wait_s):
            raise SnapshotTimeout(f"snapshot {page}/{period}/{lang}: no result after {self.wait_s:.0f} s")
        with entry.lock:
            if entry.computed_at is None:  # the first computation failed: its callers see its own error
                raise entry.error or RuntimeError(f"snapshot {page}/{period}/{lang} failed")
            return entry.value  # type: ignore[no-any-return]

    def _compute(self, entry: _Entry, compute: Callable[[], Any]) -> None:
        error: BaseException | None = None
        try:
            value = compute()
        except Exception as exc:  # handed to the waiters; a background refresh keeps serving the old value
            error = exc
            log.warning("console snapshot computation failed: %s", exc)
        with entry.lock:
            entry.computations += 1
            entry.error = error
            if error is None:
                entry.value, entry.computed_at = value, self._clock()
            running, entry.running = entry.running, None
        if running is not None:
            running.set()

    def _entry(self, key: Key) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
                while len(self._entries) > MAX_KEYS:
                    self._entries.popitem(last=False)
            self._entries.move_to_end(key)
            return entry

    def stats(self, page: str, period: str, lang: str) -> tuple[int, int]:
        """(hits, computations) of a key: what a test or a benchmark checks sharing with."""
        with self._lock:
            entry = self._entries.get((page, period, lang))
        return (0, 0) if entry is None else (entry.hits, entry.computations)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
