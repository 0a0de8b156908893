"""Only one instance runs the scheduled jobs (rollups, reports, retention): a lease kept in the store.

Collectors and dashboards scale out; scheduled jobs must not, or every replica would rebuild the same rollups
and mail the same report. Each instance calls :func:`run_if_leader` (or ``lease.try_acquire()``) on every tick;
only the holder runs the job.

- DuckDB (one host, one data dir): :class:`FileLease`, an ``flock`` on ``<data_dir>/scheduler.lock``. The
  kernel drops it when the holder exits, even on ``kill -9``, so there is no expiry to wait for. The data dir
  must be on a local disk (flock over NFS is not reliable), which DuckDB needs anyway.
- InfluxDB (several hosts, one database): :class:`storage.influx_lease.InfluxLease`, a point in measurement
  ``zerocarbon_lease``
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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from models.errors import StoreUnavailable
from storage.influx_lease import LEASE_MEASUREMENT, InfluxLease, LeaseRecord, default_holder
from zerocarbon.health import metrics
from zerocarbon.settings import Settings

log = logging.getLogger(__name__)
__all__ = ["LEASE_MEASUREMENT", "FileLease", "InfluxLease", "LeaseRecord", "SchedulerLock", "default_holder",
           "open_scheduler_lock", "run_if_leader"]


class SchedulerLock(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Take or renew the lease; True while this instance holds it."""

    def release(self) -> None: ...


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
