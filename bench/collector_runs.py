"""The path users run, measured: the scheduled CollectorService against N simulated Modbus TCP devices at 1 s,
beside a plain asyncio poller and the former one-APScheduler-job-per-device design, on the same devices in the
same run.

Three kinds of process, so that every figure has one owner:
- the device farm (:mod:`bench.modbus_farm`): N devices answering after 10 ms over real TCP, one dead port
  (device 0) and one device answering after 2 s (device 1); it counts the requests it answered;
- one contender at a time (``--contender``): polls every device each second for a warm-up, then a window, and
  reports what it saw with its own counters (reads, ``process_time``, start times, poll durations, RSS);
- this parent, the outside harness: at the start and end of each window it reads the contender's CPU ticks
  from ``/proc/<pid>/stat``, the farm's request count and its own clock, and prints both views side by side.

On a machine with two or more CPUs the farm is pinned to the last CPU and, at N >= 1000, each contender to
the first (``os.sched_setaffinity``, :func:`bench.modbus_farm.pin`), so "1000 devices on one core" means
what it says and the farm's own CPU never competes with the poller it serves. At N = 20 and 200 contenders
run unpinned (``ZC_BENCH_PIN=all`` pins them too): tied to one CPU of a shared machine, every contender,
the plain poller included, waited behind that CPU's run queue (docs/benchmarks.md, 2026-12-04 runs).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.modbus_farm import LATENCY_S, SLOW_S, Farm, pin  # noqa: E402
from models.site import Device  # noqa: E402
from models.template import ModbusTemplate, RegisterPoint  # noqa: E402

INTERVAL_S = 1.0
THREE_READS = ModbusTemplate(  # three blocks far apart: the planner's fewest is 3 requests
    id="bench-3",
    points=[RegisterPoint(name=f"a{i}", address=2 * i, type="float32") for i in range(62)]  # type: ignore[arg-type]
    + [RegisterPoint(name=f"b{i}", address=200 + 2 * i, type="float32") for i in range(62)]  # type: ignore[arg-type]
    + [RegisterPoint(name=f"c{i}", address=400 + i, type="uint16") for i in range(10)],  # type: ignore[arg-type]
)
BLOCKS = [(0, 124), (200, 124), (400, 10)]  # what the planner makes of THREE_READS (checked in the contender)


# -- the contenders ----------------------------------------------------------------------------------------
class Stats:
    def __init__(self) -> None:
        self.reads = 0
        self.starts: dict[int, list[float]] = {}
        self.durations: list[float] = []

    def poll(self, index: int, started: float) -> None:
        if index > 1:  # the dead and the slow device are there to disturb, not to be timed
            self.starts.setdefault(index, []).append(started)
            self.durations.append(time.monotonic() - started)


async def plain(ports: list[int], stats: Stats) -> list[asyncio.Task[None]]:
    """What one writes first: a pymodbus client and a loop per device on a fixed grid, struct decoding."""
    from pymodbus.client import AsyncModbusTcpClient

    async def device(index: int, port: int) -> None:
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=0.8, retries=0, reconnect_delay=0)
        loop = asyncio.get_running_loop()
        due = loop.time() + INTERVAL_S * index / len(ports)
        while True:
            await asyncio.sleep(due - loop.time())
            started = time.monotonic()
            try:
                if client.connected or await client.connect():
                    for address, count in BLOCKS:
                        rr = await client.read_holding_registers(address, count=count, device_id=1)
                        struct.unpack(f">{count}H", struct.pack(f">{count}H", *rr.registers))
                        stats.reads += 1
            except Exception:  # noqa: BLE001  # a plain poller shrugs and tries again next second
                client.close()
            stats.poll(index, started)
            due += INTERVAL_S
            while due < loop.time():
                due += INTERVAL_S

    return [asyncio.create_task(device(i, p)) for i, p in enumerate(ports)]


def bench_site(ports: list[int]) -> Any:
    from models.site import EnergySystems, GridConnection, MqttBroker, Site, SiteInfo, Subsystem

    devices = [Device(id=f"dev-{i:04d}", subsystem="bench", protocol="modbus", template=THREE_READS.id,
                      connection={"host": "127.0.0.1", "port": p, "unit_id": 1, "timeout_s": 0.8},  # type: ignore[arg-type]
                      poll_s={"default": INTERVAL_S}) for i, p in enumerate(ports)]
    return Site(info=SiteInfo(id="bench", name="bench", latitude=0, longitude=0, timezone="UTC",
                              gross_floor_area_m2=1), subsystems=[Subsystem(id="bench", name_en="b", name_zh="b")],
                energy_systems=EnergySystems(grid=[GridConnection(id="g", capacity_kva=1, meters=["dev-0000"])]),
                mqtt=MqttBroker(), devices=devices, templates={THREE_READS.id: THREE_READS})


def service(kind: str, transport: str, ports: list[int], stats: Stats, workdir: Path) -> Any:
    """The real CollectorService into a real spool, its status file written every 2 s, as `collect` runs it."""
    from collectors.service import CollectorService
    from collectors.spool import Spool

    cls = CollectorService if kind == "service" else apscheduler_service()
    svc = cls(bench_site(ports), Spool(workdir / "spool"), status_path=workdir / "status.json",
              modbus_transport=transport)
    assert [(b.address, b.count) for b in svc.pollers[0].groups["default"].blocks] == BLOCKS
    for index, poller in enumerate(svc.pollers):
        inner_poll, reader = poller.poll, poller.reader
        inner_read = reader.read_bytes

        async def timed(group: str, inner=inner_poll, index=index) -> Any:  # type: ignore[no-untyped-def]
            started = time.monotonic()
            out = await inner(group)
            stats.poll(index, started)
            return out

        async def counted(block: Any, inner=inner_read) -> bytes:  # type: ignore[no-untyped-def]
            out = await inner(block)
            stats.reads += 1
            return out

        poller.poll = timed  # type: ignore[method-assign]
        reader.read_bytes = counted  # type: ignore[method-assign]
    return svc


def apscheduler_service() -> type:
    """The design before issue #16, kept here to compare: one AsyncIOScheduler job per (device, group)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from collectors.service import CollectorService

    class PerDeviceJobs(CollectorService):
        def _start_polling(self) -> Callable[[], None]:
            scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
            now = datetime.now().astimezone()
            for i, job in enumerate(self.jobs):
                interval = job.poller.intervals[job.group]
                first = now + timedelta(seconds=0.05 + 0.5 * interval * i / len(self.jobs) % interval)
                scheduler.add_job(self._poll, "interval", seconds=interval, args=[job], id=job.id,
                                  next_run_time=first, max_instances=1, coalesce=True,
                                  misfire_grace_time=max(1, int(interval)))
            scheduler.start()
            return lambda: scheduler.shutdown(wait=False)

    return PerDeviceJobs


def memory_mib(field: str = "VmRSS", pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def contend(kind: str, transport: str, ports: list[int], warmup: float, seconds: float) -> None:
    import logging

    logging.disable(logging.ERROR)  # the dead device's one ERROR line is not the bench's output
    # pinned only where the goal is "on one core" (N >= 1000, or ZC_BENCH_PIN=all): on a shared machine a
    # contender tied to one CPU waits behind that CPU's queue, which the latency goals at N = 20/200 should not
    pinned = pin("contender", cpu=len(ports) >= 1000 or os.environ.get("ZC_BENCH_PIN") == "all")
    stats = Stats()
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "plain":
            tasks, svc = await plain(ports, stats), None
        else:
            svc = service(kind, transport, ports, stats, Path(tmp))
            tasks = [asyncio.create_task(svc.run())]
        await asyncio.sleep(warmup)
        reads0, cpu0, t0 = stats.reads, time.process_time(), time.monotonic()
        stats.starts.clear()
        stats.durations.clear()
        print("START", flush=True)
        await profiled(kind, transport, asyncio.sleep(seconds))
        reads, cpu, wall = stats.reads - reads0, time.process_time() - cpu0, time.monotonic() - t0
        print(json.dumps({"reads": reads, "cpu": cpu, "wall": wall, "rss_mib": memory_mib(),
                          "jitter_p99_ms": 1000 * jitter_p99(stats.starts),
                          "cycle_p50_s": statistics.median(stats.durations),
                          "cycle_p99_s": sorted(stats.durations)[int(0.99 * len(stats.durations))],
                          "polls": len(stats.durations), "pinned": pinned}), flush=True)
        if svc is not None:
            await svc.stop()
            await tasks[0]
        else:
            for task in tasks:
                task.cancel()


async def profiled(kind: str, transport: str, window: Any) -> None:
    """``ZC_BENCH_PROFILE=DIR`` profiles the window with cProfile (bench only: its overhead inflates the CPU
    figures of that run) into DIR/<kind>-<transport>.pstats; read it with ``python -m pstats``."""
    where = os.environ.get("ZC_BENCH_PROFILE")
    if not where:
        await window
        return
    import cProfile

    profile = cProfile.Profile()
    profile.enable()
    try:
        await window
    finally:
        profile.disable()
        profile.dump_stats(Path(where) / f"{kind}-{transport}.pstats")


def jitter_p99(starts: dict[int, list[float]]) -> float:
    """p99 of each start's distance from its device's own 1 s grid (anchored on its first start)."""
    out = [abs((t - ts[0]) / INTERVAL_S - round((t - ts[0]) / INTERVAL_S)) * INTERVAL_S
           for ts in starts.values() for t in ts]
    return sorted(out)[int(0.99 * len(out))] if out else float("nan")


# -- the outside harness -----------------------------------------------------------------------------------
def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of proc(5))


def runqueue_wait_s(pid: int) -> float:
    """Seconds the process's threads spent runnable but waiting for a CPU (schedstat's second field): how much
    of a late start or a long cycle was the machine's other work rather than this process's own."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError):  # a thread that ended, or no schedstats in this kernel
            continue
    return total / 1e9


def run_contender(farm_: Farm, kind: str, transport: str, warmup: float, seconds: float) -> dict[str, Any]:
    args = [sys.executable, __file__, "--contender", kind, transport, json.dumps(farm_.ports), str(warmup),
            str(seconds)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "START", f"{kind} did not start"
        ticks0, served0, t0 = cpu_ticks(proc.pid), farm_.answered(), time.monotonic()
        farm0, waited0 = cpu_ticks(farm_.proc.pid), runqueue_wait_s(proc.pid)
        inside = json.loads(proc.stdout.readline())
        ticks, served, wall = cpu_ticks(proc.pid) - ticks0, farm_.answered() - served0, time.monotonic() - t0
        farm_cpu = cpu_ticks(farm_.proc.pid) - farm0
        waited = runqueue_wait_s(proc.pid) - waited0
        rss = memory_mib("VmRSS", str(proc.pid))
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    hz = os.sysconf("SC_CLK_TCK")
    return {**inside, "out_reads": served, "out_cpu": ticks / hz, "out_wall": wall, "out_rss_mib": rss,
            "farm_cores": farm_cpu / hz / wall, "out_runq_wait_ms_per_s": 1000 * waited / wall}


CONTENDERS = (("plain", "pymodbus"), ("service", "pymodbus"), ("apscheduler", "pymodbus"), ("service", "wire"))


def contenders() -> tuple[tuple[str, str], ...]:
    """``ZC_BENCH_CONTENDERS=plain:pymodbus,service:wire`` runs only those (the plain poller always runs: it is
    the baseline every ratio is taken against)."""
    chosen = os.environ.get("ZC_BENCH_CONTENDERS")
    if not chosen:
        return CONTENDERS
    pairs = [tuple(c.split(":", 1)) for c in chosen.split(",")]
    return (("plain", "pymodbus"), *[(k, t) for k, t in pairs if (k, t) != ("plain", "pymodbus")])  # type: ignore[misc]


def section_scheduled(sizes: tuple[int, ...] = (20, 200, 1000), seconds: float = 10.0, warmup: float = 3.0,
                      repeat: int = 1) -> None:
    print(f"[scheduled] load average before: {os.getloadavg()}")
    for n in sizes:
        farm_ = Farm(n)
        runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        try:
            for _ in range(repeat):
                for kind, transport in contenders():
                    runs.setdefault((kind, transport), []).append(run_contender(farm_, kind, transport, warmup,
                                                                                seconds))
        finally:
            farm_.stop()
        report(n, runs)
    print(f"[scheduled] load average after: {os.getloadavg()}")


def _verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def report(n: int, runs: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    ideal = len(BLOCKS) * LATENCY_S
    expected = (n - 2) * len(BLOCKS) * INTERVAL_S  # reads a second from every live device
    pinned = next(iter(runs.values()))[0].get("pinned", "?")
    print(f"[scheduled] N={n}: {len(BLOCKS)} reads per device every {INTERVAL_S:g} s (device 0 dead, device 1 "
          f"answering in {SLOW_S:g} s), {LATENCY_S * 1000:g} ms latency; ideal cycle {ideal * 1000:.0f} ms; "
          f"contender on {pinned}")
    effs = {}
    for (kind, transport), rs in runs.items():
        reads, cpu = sum(r["reads"] for r in rs), sum(r["cpu"] for r in rs)
        o_reads, o_cpu = sum(r["out_reads"] for r in rs), sum(r["out_cpu"] for r in rs)
        wall = sum(r["wall"] for r in rs)
        effs[(kind, transport)] = (reads / cpu, o_reads / max(o_cpu, 1e-9))
        print(f"[scheduled]   {kind:<11} {transport:<8} {reads / wall:7,.0f} reads/s ({reads / wall / expected:.2f}"
              f" of due), {reads / cpu:6,.0f} reads per CPU-s (outside: {o_reads / max(o_cpu, 1e-9):6,.0f}), "
              f"CPU {cpu / wall:.2f} core; cycle p50 {max(r['cycle_p50_s'] for r in rs) / ideal:.2f} x ideal, "
              f"p99 {max(r['cycle_p99_s'] for r in rs) / ideal:.2f} x; jitter p99 "
              f"{max(r['jitter_p99_ms'] for r in rs):.1f} ms; RSS {max(r['rss_mib'] for r in rs):.0f} MiB; farm "
              f"{max(r['farm_cores'] for r in rs):.2f} core; waited for a CPU "
              f"{max(r['out_runq_wait_ms_per_s'] for r in rs):.0f} ms/s")
    base_in, base_out = effs[("plain", "pymodbus")]
    for key, (eff_in, eff_out) in effs.items():
        if key != ("plain", "pymodbus"):
            print(f"[scheduled]   {key[0]} {key[1]} / plain reads per CPU-s: {eff_in / base_in:.2f} "
                  f"(outside harness: {eff_out / base_out:.2f})")
    goals(n, runs, expected, ideal, effs)


def goals(n: int, runs: dict[tuple[str, str], list[dict[str, Any]]], expected: float, ideal: float,
          effs: dict[tuple[str, str], tuple[float, float]]) -> None:
    """The issue's goals that this N can show, each with the project's figure beside the outside harness's."""
    base_in, base_out = effs[("plain", "pymodbus")]
    if n >= 200 and ("service", "pymodbus") in effs:
        r_in, r_out = effs[("service", "pymodbus")][0] / base_in, effs[("service", "pymodbus")][1] / base_out
        print(f"[scheduled]   GOAL N={n} service pymodbus / plain reads per CPU-s >= 0.8: {r_in:.2f} (outside "
              f"{r_out:.2f}) {_verdict(min(r_in, r_out) >= 0.8)}")
    for transport in ("pymodbus", "wire"):
        rs = runs.get(("service", transport))
        if not rs:
            continue
        jitter = max(r["jitter_p99_ms"] for r in rs)
        print(f"[scheduled]   GOAL N={n} service {transport} jitter p99 < 100 ms (dead + slow device): "
              f"{jitter:.1f} ms {_verdict(jitter < 100)}")
        if n <= 20:
            cycle = max(r["cycle_p50_s"] for r in rs) / ideal
            print(f"[scheduled]   GOAL N={n} service {transport} cycle p50 <= 1.2 x ideal: {cycle:.2f} x "
                  f"{_verdict(cycle <= 1.2)}")
    if n >= 1000 and ("service", "wire") in runs:
        one_core(runs[("service", "wire")], expected)


def one_core(rs: list[dict[str, Any]], expected: float) -> None:
    """"1000 devices at 1 s on one core": the service's CPU-seconds per wall-second below 1 with headroom
    (<= 0.8), and every device read each second (>= 0.99 of the due reads), by its own count and the farm's."""
    wall, o_wall = sum(r["wall"] for r in rs), sum(r["out_wall"] for r in rs)
    core, o_core = sum(r["cpu"] for r in rs) / wall, sum(r["out_cpu"] for r in rs) / o_wall
    done, o_done = sum(r["reads"] for r in rs) / wall / expected, sum(r["out_reads"] for r in rs) / o_wall / expected
    ok = max(core, o_core) <= 0.8 and min(done, o_done) >= 0.99
    print(f"[scheduled]   GOAL 1000 devices at 1 s on one core (wire): {core:.2f} CPU-s per wall-s (outside "
          f"{o_core:.2f}); reads {done:.3f} of due (farm's count {o_done:.3f}); jitter p99 "
          f"{max(r['jitter_p99_ms'] for r in rs):.1f} ms; RSS {max(r['rss_mib'] for r in rs):.0f} MiB (outside "
          f"{max(r['out_rss_mib'] for r in rs):.0f}) {_verdict(ok)}")


if __name__ == "__main__":
    if sys.argv[1] == "--contender":
        asyncio.run(contend(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), float(sys.argv[5]),
                            float(sys.argv[6])))
    else:
        sizes = tuple(int(a) for a in sys.argv[1:]) or (20, 200, 1000)
        section_scheduled(sizes)
