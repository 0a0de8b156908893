"""Interval-group polling: one timer per interval, phase slots, one poll in flight per device, catch-up.

The timers run on a virtual clock (tests/support/clock.py): each fires exactly when due, so what is checked is
the schedule's logic, never how loaded the host was.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from collectors.modbus import DevicePoller
from collectors.polling import SLOT_S, IntervalTimer, PollJob, interval_timers
from models.template import ModbusTemplate
from tests.collectors.conftest import modbus_device, write_site
from tests.support.clock import VirtualClockLoop, run_virtual
from tests.support.processes import free_ports


def pollers(tmp_path: Path, count: int, poll_s: dict[str, float]) -> list[DevicePoller]:
    """Real pollers of energy meters (groups ``default`` and ``energy``); these tests never let them read."""
    site = write_site(tmp_path, [modbus_device(f"m{i}", "energy-meter", port, poll_s=poll_s)
                                 for i, port in enumerate(free_ports(count))])
    out = []
    for d in site.devices:
        t = site.template_of(d)
        assert isinstance(t, ModbusTemplate)
        out.append(DevicePoller(d, t, transport="wire"))
    return out


def run_timer(timer: IntervalTimer, seconds: float) -> None:
    async def go() -> None:
        timer.start()
        await asyncio.sleep(seconds)
        timer.stop()

    run_virtual(go())


def now() -> float:
    return asyncio.get_running_loop().time()


def test_devices_sharing_an_interval_share_one_timer(tmp_path: Path) -> None:
    timers, jobs = interval_timers(pollers(tmp_path, 30, {"default": 1, "energy": 60}), lambda job: asyncio.sleep(0))
    assert [t.interval_s for t in timers] == [1.0, 60.0] and len(jobs) == 60
    fast, slow = timers
    # 30 jobs over 1 s: as many slots as fit (SLOT_S apart), dealt evenly; over 60 s: spread over 10 s, not 60
    assert len(fast.slots) == min(30, round(1 / SLOT_S))
    assert max(len(s) for s in fast.slots) - min(len(s) for s in fast.slots) <= 1
    assert len(slow.slots) == 30 and max(slow.offsets) < 10.0
    assert sorted(j.id for s in fast.slots for j in s) == sorted(j.id for j in jobs if j.group == "default")


def test_each_job_runs_on_its_own_phase_of_a_fixed_grid(tmp_path: Path) -> None:
    starts: dict[str, list[float]] = {}

    async def record(job: PollJob) -> None:
        starts.setdefault(job.id, []).append(now())

    (timer,), _ = interval_timers(pollers(tmp_path, 4, {"default": 0.2, "energy": 0.2}), record)
    run_timer(timer, 1.05)
    assert len(starts) == 8 and all(4 <= len(ts) <= 6 for ts in starts.values())
    for ts in starts.values():  # every start on the 0.2 s grid of the first: a late one does not shift the next
        assert all(abs((t - ts[0]) - 0.2 * round((t - ts[0]) / 0.2)) < 1e-6 for t in ts)
        assert [round((t - ts[0]) / 0.2) for t in ts] == list(range(len(ts)))  # none skipped, none doubled
    firsts = sorted(ts[0] for ts in starts.values())
    assert firsts[-1] - firsts[0] > 0.1  # phases spread over the interval, not all at one instant


def test_a_busy_device_skips_its_own_cycles_only(tmp_path: Path) -> None:
    done: dict[str, int] = {}
    in_flight: dict[str, int] = {}

    async def poll(job: PollJob) -> None:
        in_flight[job.id] = in_flight.get(job.id, 0) + 1
        assert in_flight[job.id] == 1  # never two polls of one device at once
        await asyncio.sleep(0.55 if job.poller.device.id == "m0" else 0.01)  # m0 answers slowly
        in_flight[job.id] -= 1
        done[job.id] = done.get(job.id, 0) + 1

    (timer,), jobs = interval_timers(pollers(tmp_path, 3, {"default": 0.1, "energy": 0.1}), poll)
    run_timer(timer, 1.5)
    slow = [j for j in jobs if j.poller.device.id == "m0"]
    fast = [j for j in jobs if j.poller.device.id != "m0"]
    # ~15 turns at 0.1 s; 0.55 s per poll: at most 3 polls started, the other turns skipped and counted
    assert all(1 <= done.get(j.id, 0) <= 3 and j.skipped >= 8 for j in slow), {j.id: j.skipped for j in slow}
    # the others keep their pace
    assert all(done[j.id] >= 14 and j.skipped == 0 for j in fast), {j.id: (done[j.id], j.skipped) for j in fast}


def test_a_blocked_loop_catches_up_once_without_polling_a_device_twice(tmp_path: Path) -> None:
    runs: dict[str, int] = {}

    async def poll(job: PollJob) -> None:
        runs[job.id] = runs.get(job.id, 0) + 1

    (timer,), jobs = interval_timers(pollers(tmp_path, 5, {"default": 0.2, "energy": 0.2}), poll)

    async def go() -> None:
        timer.start()
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualClockLoop)
        loop.hold(0.7)  # the loop is held for three and a half intervals
        await asyncio.sleep(0.01)
        seen = dict(runs)
        timer.stop()
        assert all(seen.get(j.id, 0) <= 2 for j in jobs)  # the missed cycles coalesced into one

    run_virtual(go())
    assert set(runs) == {j.id for j in jobs}
