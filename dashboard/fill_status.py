"""How far the history fill behind a starting console has got, for the banner every page shows.

``zerocarbon demo`` serves the console first and fills the history behind it (see
:mod:`zerocarbon.demo_fill`); it updates one :class:`FillStatus` that the console reads on each tick. The
console never waits for it: pages draw what is stored so far.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class FillStatus:
    """Thread-safe progress of the fill steps: the running step, its units done and total, and the outcome."""

    step: str = ""
    done: int = 0
    total: int = 0
    unit: str = ""
    running: bool = False
    problem: str = ""
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self, step: str, total: int, unit: str) -> None:
        with self._lock:
            self.step, self.done, self.total, self.unit, self.running = step, 0, total, unit, True
            self.started = time.monotonic()

    def advance(self, units: int = 1) -> None:
        with self._lock:
            self.done = min(self.done + units, self.total)

    def finish(self, problem: str = "") -> None:
        with self._lock:
            self.running, self.problem = False, problem

    def view(self) -> dict[str, object]:
        """A consistent copy for one render: step, done, total, unit, running, problem, remaining_s."""
        with self._lock:
            elapsed = time.monotonic() - self.started
            remaining = elapsed / self.done * (self.total - self.done) if self.done else None
            return {"step": self.step, "done": self.done, "total": self.total, "unit": self.unit,
                    "running": self.running, "problem": self.problem, "remaining_s": remaining}


_attached: dict[int, FillStatus] = {}


def attach(console: object, status: FillStatus) -> None:
    """Show ``status`` in the console built around ``console`` (a :class:`dashboard.context.Console`)."""
    _attached[id(console)] = status


def status_of(console: object) -> FillStatus | None:
    return _attached.get(id(console))
