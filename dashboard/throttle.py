"""Login throttling per account and per client address, with lockouts that grow with every further failure.

Worked example (defaults): an account's first 5 failed passwords cost nothing; the 6th locks it for 1 s, the
7th (after the lock) for 2 s, then 4, 8, ... up to 15 minutes. While locked, attempts are refused with 429
before any password is checked, so even the right password does not get in: 200 guesses, which took 38 s
before (issue 15), now take about two hours, and each lockout is in the audit log. An address gets 20 free
failures (several people may share one NAT address) before the same doubling starts. Failures are forgotten
after :data:`FORGET_S` without one; a good password clears the account's count (not the address's: an
attacker's own account must not reset the count of the address they guess from).

State is in memory, per process: a restart forgets it (the audit log does not). The console runs in one
process with DuckDB; with several gunicorn workers each counts on its own, so the effective limits multiply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
FIRST_LOCK_S = 1.0
MAX_LOCK_S = 900.0
FORGET_S = 3600.0


@dataclass
class _Count:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


@dataclass(frozen=True)
class Lockout:
    """A lockout that just began: what (``account`` or ``address``), whom, for how long."""

    scope: str
    key: str
    seconds: float


class LoginThrottle:
    def __init__(self, account_free: int = ACCOUNT_FREE_FAILURES, address_free: int = ADDRESS_FREE_FAILURES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._free = {"account": account_free, "address": address_free}
        self._counts: dict[tuple[str, str], _Count] = {}
        self._lock = threading.Lock()
        self.clock = clock  # public so a test can step time instead of sleeping

    def wait_s(self, account: str, address: str) -> float:
        """Seconds until this account may try again from this address (0: may try now)."""
        now = self.clock()
        with self._lock:
            ends = [c.locked_until for c in (self._counts.get(("account", account)),
                                             self._counts.get(("address", address))) if c is not None]
        return max([0.0, *(end - now for end in ends)])

    def failed(self, account: str, address: str) -> list[Lockout]:
        """Count a failed password; returns the lockouts it started (none, one or both)."""
        now = self.clock()
        started = []
        with self._lock:
            for scope, key in (("account", account), ("address", address)):
                count = self._counts.setdefault((scope, key), _Count())
                if now - count.last_failure > FORGET_S:
                    count.failures = 0
                count.failures += 1
                count.last_failure = now
                over = count.failures - self._free[scope]
                if over > 0:
                    seconds = min(FIRST_LOCK_S * 2 ** (over - 1), MAX_LOCK_S)
                    count.locked_until = now + seconds
                    started.append(Lockout(scope, key, seconds))
            self._forget_old(now)
        return started

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._counts.pop(("account", account), None)

    def _forget_old(self, now: float) -> None:
        """Drop counts idle for FORGET_S, so guessing many names cannot grow memory without bound."""
        if len(self._counts) > 10_000:
            for key in [k for k, c in self._counts.items() if now - c.last_failure > FORGET_S]:
                del self._counts[key]
