"""Only one instance runs the scheduled jobs (rollups, reports, retention): a lease kept in the store.

Collectors and dashboards scale out; scheduled jobs must not, or every replica would rebuild the same rollups
and mail the same report. Each instance calls :func:`run_if_leader` (or ``lease.try_acquire()``) on every tick;
only the holder runs the job.

- DuckDB (one host, one data dir): :class:`FileLease`, an ``flock`` on ``<data_dir>/scheduler.lock``. The
  kernel drops it when the holder exits, even on ``kill -9``, so there is no expiry to wait for. The data dir
  must be on a local disk (flock over NFS is not reliable), which DuckDB needs anyway.
- InfluxDB (several hosts, one database): :class:`InfluxLease`, a point in measurement ``zerocarbon_lease``
  (tag ``name``; fields ``holder``, ``expires``) written and read back. InfluxDB has no compare-and-swap, so a
  claim is: read the newest lease point; if another holder's lease has not expired, give up; else write our
  claim, wait ``settle_s`` so every concurrent claim has landed, read again: the newest point wins, and every
  contender reads the same newest point, so exactly one believes it holds the lease. A holder renews every
  tick (ticks must come faster than ``ttl_s``); a dead holder's lease lapses after ``ttl_s``. Assumes host
  clocks agree to well under ``ttl_s`` (NTP).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from models.errors import StoreUnavailable
from zerocarbon.health import metrics
from zerocarbon.settings import Settings

log = logging.getLogger(__name__)
LEASE_MEASUREMENT = "zerocarbon_lease"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class SchedulerLock(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Take or renew the lease; True while this instance holds it."""

    def release(self) -> None: ...


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class FileLease:
    """An exclusive ``flock`` on a file; held until :meth:`release` or process exit."""

    def __init__(self, path: Path, holder: str | None = None) -> None:
        self.path = path
        self.holder = holder or default_holder()
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)  # who holds it, for `cat` during an incident; the lock itself is the flock
        os.write(fd, json.dumps({"holder": self.holder, "since": time.time()}).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def current_holder(self) -> str | None:
        """The holder written by the last instance that took the lock (it may have exited since)."""
        try:
            return str(json.loads(self.path.read_text())["holder"])
        except (OSError, ValueError, KeyError):
            return None


@dataclass(frozen=True)
class LeaseRecord:
    holder: str
    expires: float


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
        """The newest lease point, whoever wrote it."""
        q = (
            f'SELECT "holder", "expires" FROM "{LEASE_MEASUREMENT}" WHERE "name" = \'{self.name}\' '
            "ORDER BY time DESC LIMIT 1"
        )
        body = self._request("GET", "/query", params={"db": self.database, "q": q, "epoch": "ns"}).json()
        series = (body.get("results") or [{}])[0].get("series") or []
        if not series:
            return None
        _, holder, expires = series[0]["values"][0]
        return LeaseRecord(holder=str(holder), expires=float(expires))

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


def open_scheduler_lock(settings: Settings, name: str = "scheduler") -> SchedulerLock:
    """The lease matching the configured store: a file lock for DuckDB, a lease row for InfluxDB."""
    holder = settings.instance_id or default_holder()
    if settings.store == "duckdb":
        return FileLease(settings.data_dir / f"{name}.lock", holder)
    return InfluxLease(
        settings.influx_url,
        settings.influx_db,
        name=name,
        holder=holder,
        ttl_s=settings.scheduler_lease_s,
        username=settings.influx_username,
        password=settings.influx_password,
    )


def run_if_leader(lock: SchedulerLock, job_name: str, job: Callable[[], object]) -> bool:
    """Run ``job`` only while this instance holds the lease; True when it ran. Failures are counted and logged."""
    try:
        leader = lock.try_acquire()
    except StoreUnavailable as exc:
        log.warning("%s skipped: %s", job_name, exc)
        leader = False
    metrics.scheduler_leader.set(1 if leader else 0)
    if not leader:
        metrics.scheduled_job_runs_total.labels(job=job_name, outcome="not_leader").inc()
        return False
    try:
        job()
    except Exception:
        metrics.scheduled_job_runs_total.labels(job=job_name, outcome="failed").inc()
        log.exception("scheduled job %s failed (holder %s)", job_name, lock.holder)
        return True
    metrics.scheduled_job_runs_total.labels(job=job_name, outcome="ok").inc()
    return True
