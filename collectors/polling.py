"""Poll by interval group: every (device, polling group) that shares a poll interval runs off one timer.

One APScheduler job per device paid a scheduler wake-up, datetime arithmetic and a job-submission event per
run, and its start times slipped under load (bench/bench_collectors.py ``scheduled``, docs/benchmarks.md).
Here the jobs of one interval are dealt round-robin into phase slots :data:`SLOT_S` apart, spread over the
interval (over at most :data:`MAX_SPREAD_S`, so a 15-minute group is still first read within seconds); one
``call_at`` timer per interval walks the slots and starts each slot's jobs as tasks. The schedule is a fixed
grid from the start time, so start times do not drift with load.

Isolation is unchanged: a job whose previous poll is still running when its slot comes round is skipped and
counted (APScheduler's ``max_instances=1``), so at most one request is ever in flight per device and a slow or
dead device only skips its own cycles. Comm loss and backoff stay in :class:`~collectors.modbus.DevicePoller`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from collectors.interface import Poller

SLOT_S = 0.01  # phase slot width: at most 100 timer wake-ups a second per interval, however many devices
MAX_SPREAD_S = 10.0  # long intervals spread their first reads over 10 s, not over the whole interval


@dataclass(eq=False)
class PollJob:
    """One (device, polling group): the unit that is polled, skipped when still busy, and counted."""

    poller: Poller
    group: str
    busy: bool = False
    skipped: int = 0

    @property
    def id(self) -> str:
        return f"{self.poller.device.id}/{self.group}"


class IntervalTimer:
    """Start the jobs of one poll interval from one timer, slot by slot.

    Slot ``k`` of ``n`` fires at ``t0 + k * spread / n + m * interval``. When the loop was held up past several
    slots, the missed ones fire at once and each job runs at most once (APScheduler's ``coalesce``).
    """

    def __init__(self, interval_s: float, jobs: list[PollJob], run: Callable[[PollJob], Awaitable[None]],
                 *, start_delay_s: float = 0.05) -> None:
        self.interval_s = interval_s
        spread = min(interval_s, MAX_SPREAD_S)
        n = max(1, min(len(jobs), math.ceil(spread / SLOT_S)))
        self.slots: list[list[PollJob]] = [jobs[k::n] for k in range(n)]
        self.offsets = [k * spread / n for k in range(n)]
        self.run = run
        self.start_delay_s = start_delay_s
        self.tasks: set[asyncio.Task[None]] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._t0 = 0.0
        self._next = 0  # index of the next slot to fire, counted from t0 over all periods

    def _due(self, index: int) -> float:
        period, slot = divmod(index, len(self.slots))
        return self._t0 + period * self.interval_s + self.offsets[slot]

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._t0 = loop.time() + self.start_delay_s
        self._handle = loop.call_at(self._t0, self._tick)

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        fire = self._next
        while True:  # every slot due by now, but no job twice: at most one whole period of slots
            self._start_slot(self.slots[fire % len(self.slots)], loop)
            fire += 1
            if self._due(fire) > now or fire - self._next >= len(self.slots):
                break
        while self._due(fire) <= now:  # further behind than one period: skip those, as coalesce does
            fire += len(self.slots)
        self._next = fire
        self._handle = loop.call_at(self._due(fire), self._tick)

    def _start_slot(self, jobs: list[PollJob], loop: asyncio.AbstractEventLoop) -> None:
        for job in jobs:
            if job.busy:
                job.skipped += 1
                continue
            job.busy = True
            task = loop.create_task(self._guarded(job))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _guarded(self, job: PollJob) -> None:
        try:
            await self.run(job)
        finally:
            job.busy = False

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for task in list(self.tasks):
            task.cancel()


def interval_timers(
    pollers: list[Poller], run: Callable[[PollJob], Awaitable[None]]
) -> tuple[list[IntervalTimer], list[PollJob]]:
    """One timer per distinct poll interval over every (device, group) of ``pollers``; and all the jobs."""
    by_interval: dict[float, list[PollJob]] = {}
    jobs = []
    for poller in pollers:
        for group in poller.groups:
            job = PollJob(poller, group)
            jobs.append(job)
            by_interval.setdefault(poller.intervals[group], []).append(job)
    return [IntervalTimer(interval, group_jobs, run) for interval, group_jobs in sorted(by_interval.items())], jobs
