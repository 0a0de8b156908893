"""The scheduler lease kept in InfluxDB: a point in measurement ``zerocarbon_lease``, written and read back.

How the claim works and why it is safe without compare-and-swap: zerocarbon/scheduler_lock.py, which picks this
lease for an InfluxDB store and a file lock for DuckDB.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from models.errors import StoreUnavailable

LEASE_MEASUREMENT = "zerocarbon_lease"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class LeaseRecord:
    holder: str
    expires: float


PARTIAL_ROW_TRIES = 5
PARTIAL_ROW_WAIT_S = 0.05


class InfluxLease:
    """A lease row in InfluxDB (1.x, or 2.x through its v1-compatible API), written and read back."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        name: str = "scheduler",
        holder: str | None = None,
        ttl_s: float = 30.0,
        settle_s: float = 0.5,
        username: str | None = None,
        password: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not _NAME.match(name):
            raise ValueError(f"lease name {name!r}: use lower case letters, digits, - and _")
        self.url, self.database, self.name = url.rstrip("/"), database, name
        self.holder = holder or default_holder()
        self.ttl_s, self.settle_s, self._clock = ttl_s, settle_s, clock
        auth = httpx.BasicAuth(username, password or "") if username else None
        headers = {"Authorization": f"Token {password}"} if password and not username else {}
        self._http = httpx.Client(base_url=self.url, auth=auth, headers=headers, timeout=10.0)

    def try_acquire(self) -> bool:
        current = self.current()
        if current is not None and current.holder != self.holder and current.expires > self._clock():
            return False
        self._write(self._clock() + self.ttl_s)
        time.sleep(self.settle_s)  # let every concurrent claim land before we look (see module docstring)
        winner = self.current()
        return winner is not None and winner.holder == self.holder

    def release(self) -> None:
        current = self.current()
        if current is not None and current.holder == self.holder:
            self._write(0.0)  # expired at once: the next contender need not wait ttl_s

    def current(self) -> LeaseRecord | None:
        """The newest lease point, whoever wrote it. InfluxDB 1.x applies a point's fields one at a time, so a
        read racing a claim can see its holder without its expiry (seen as ``float(None)`` in a 4-way race):
        read again, and if the row stays partial, say the lease is unreadable rather than guess."""
        for _ in range(PARTIAL_ROW_TRIES):
            row = self._newest()
            if row is None:
                return None
            holder, expires = row
            if holder is not None and expires is not None:
                return LeaseRecord(holder=holder, expires=expires)
            time.sleep(PARTIAL_ROW_WAIT_S)
        raise StoreUnavailable(f"scheduler lease {self.name!r} in {self.database}: the newest lease row stayed "
                               "partial (holder or expires missing); another instance may be writing it")

    def _newest(self) -> tuple[str | None, float | None] | None:
        q = (
            f'SELECT "holder", "expires" FROM "{LEASE_MEASUREMENT}" WHERE "name" = \'{self.name}\' '
            "ORDER BY time DESC LIMIT 1"
        )
        body = self._request("GET", "/query", params={"db": self.database, "q": q, "epoch": "ns"}).json()
        series = (body.get("results") or [{}])[0].get("series") or []
        if not series:
            return None
        _, holder, expires = series[0]["values"][0]  # JSON: a string, a number, or null for a missing field
        return (None if holder is None else str(holder)), (None if expires is None else float(expires))

    def close(self) -> None:
        self._http.close()

    def _write(self, expires: float) -> None:
        holder = self.holder.replace("\\", "\\\\").replace('"', '\\"')
        line = f'{LEASE_MEASUREMENT},name={self.name} holder="{holder}",expires={expires:.3f} {time.time_ns()}'
        self._request("POST", "/write", params={"db": self.database, "precision": "ns"}, content=line.encode())

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"scheduler lease: InfluxDB at {self.url} unreachable ({exc}); check ZEROCARBON_INFLUX_URL"
            ) from exc
        if response.status_code >= 400:
            raise StoreUnavailable(
                f"scheduler lease: InfluxDB at {self.url} answered {response.status_code} for {path} "
                f"(db {self.database!r}): {response.text.strip()[:200]}; check ZEROCARBON_INFLUX_DB and credentials"
            )
        return response
