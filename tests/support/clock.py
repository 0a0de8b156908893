"""An asyncio loop on a virtual clock, for tests of timing logic (timers, phases, skips) that a loaded host
would otherwise decide: ``loop.time()`` only moves when the loop would sleep, by exactly as long as it would
have slept, so every timer fires at its due time and a test's assertions on times are exact.

Real I/O still works (the selector is polled without blocking); only waiting is skipped.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _NoWaitSelector(selectors.DefaultSelector):
    """Polls without blocking; when nothing is ready, the loop's clock jumps by the timeout it asked for."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._clock_loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout:
            self._clock_loop.now += timeout
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_NoWaitSelector(self))

    def time(self) -> float:
        return self.now

    def hold(self, seconds: float) -> None:
        """The loop is held up (a blocking call inside a callback) for ``seconds`` of virtual time."""
        self.now += seconds


def run_virtual(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a :class:`VirtualClockLoop`."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()
