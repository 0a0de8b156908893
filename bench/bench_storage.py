"""Storage benchmarks, each against a baseline run in this script; prints ratios.

    python bench/bench_storage.py          # default, about 1-2 minutes on 2 cores
    python bench/bench_storage.py --full   # also a full year of 1-minute raw data (158 M rows) rolled up
    python bench/bench_storage.py --ingest # only the DuckDB ingest section (section 1)

1. DuckDB ingest through DuckDBStore.write_frame (normalise, overlap check, insert (delete first only when the
   batch can overlap), latest, pending range) against DuckDB's bare ``INSERT INTO t SELECT ... FROM`` the same
   frame as an Arrow table. Targets: >= 1 M points/s and >= 0.8 of the bare insert.
2. InfluxStore.write_frame (line protocol built from the frame + POST) against a bare httpx keep-alive POST of
   the same, pre-built line protocol in the same 5000-line batches. Target: >= 80% of the bare post.
3. Monthly energy by subsystem over one year for 300 counter points from the rollups (DuckDB and InfluxDB),
   against the naive SQL over raw data. Target: < 2 s. The year's daily rollups are generated with SQL
   (default run) and the rollup build rate is measured on 14 days of raw data; ``--full`` builds them from a
   real year of raw rows instead.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.site import PointInfo  # noqa: E402
from models.vocabulary import EnergyRole, PointKind  # noqa: E402
from storage.duckdb_store import DuckDBStore  # noqa: E402
from storage.energy import interval_energy  # noqa: E402
from storage.influx_store import InfluxStore  # noqa: E402
from storage.line_protocol import batches, raw_lines  # noqa: E402
from storage.rollup_plan import RollupPlanner  # noqa: E402
from tests.support.processes import start_influxd  # noqa: E402

TZ = "Asia/Shanghai"
POINTS = 300
YEAR_START = pd.Timestamp("2025-12-31T16:00:00Z")  # 2026-01-01 00:00 in Zhuhai
YEAR_END = pd.Timestamp("2026-12-31T16:00:00Z")


def best(fn: Callable[[], object], runs: int = 2) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def minute_frame(points: int, minutes: int, start: pd.Timestamp = YEAR_START) -> pd.DataFrame:
    ts = pd.date_range(start, periods=minutes, freq="1min")
    return pd.DataFrame(
        {
            "ts": np.tile(ts.to_numpy(), points),
            "point_id": np.repeat([f"meter-{i:03d}.import_kwh" for i in range(points)], minutes),
            "value": np.tile(np.arange(minutes) * 0.25, points) + 1000.0,
            "quality": "good",
        }
    ).astype({"ts": "datetime64[ns, UTC]"})


def bench_duckdb_ingest(tmp: Path, runs: int = 3) -> None:
    """Bare insert and write_frame alternate, ``runs`` times each, best of each: the machine is shared."""
    import duckdb
    import pyarrow as pa

    frame = minute_frame(POINTS, 5000)  # 1.5 M readings
    table = pa.Table.from_pandas(frame, preserve_index=False)
    con = duckdb.connect(str(tmp / "bare.duckdb"))
    con.execute("CREATE TABLE t (point_id VARCHAR, ts TIMESTAMPTZ, value DOUBLE, quality VARCHAR)")
    con.register("frame", table)
    store = DuckDBStore(tmp / "ours.duckdb", timezone=TZ)
    bare, first, forward = [], 0.0, []  # (wall, CPU of all threads) seconds
    for run in range(runs + 1):
        t, c = time.perf_counter(), time.process_time()
        con.execute("INSERT INTO t SELECT point_id, ts, value, quality FROM frame")
        bare.append((time.perf_counter() - t, time.process_time() - c))
        later = frame.assign(ts=frame["ts"] + pd.Timedelta(minutes=5000 * run))  # each point's next 5000 minutes
        t, c = time.perf_counter(), time.process_time()
        store.write_frame(later)  # the first into an empty store, then each after everything stored
        if run:
            forward.append((time.perf_counter() - t, time.process_time() - c))
        else:
            first = time.perf_counter() - t
    replay = best(lambda: store.write_frame(later), runs=1)  # same keys again: every row overwrites
    assert store.overlapping_writes == 1, store.overlapping_writes
    store.close()
    con.close()
    n, b, f = len(frame), min(w for w, _ in bare), min(w for w, _ in forward)
    b_cpu, f_cpu = min(c for _, c in bare), min(c for _, c in forward)
    print(f"duckdb ingest, {n:,} readings (best of {runs}): bare INSERT ... SELECT of the Arrow frame "
          f"{n / b / 1e6:.2f} M/s ({b_cpu:.2f} s CPU); DuckDBStore.write_frame forward in time {n / f / 1e6:.2f} M/s "
          f"({f_cpu:.2f} s CPU) = {b / f:.2f} of bare by wall time, {b_cpu / f_cpu:.2f} by CPU (goal >= 0.8: "
          f"{'PASS' if b / f >= 0.8 else 'FAIL'}; >= 1 M/s: {'PASS' if n / f >= 1e6 else 'FAIL'}); into an empty "
          f"store {n / first / 1e6:.2f} M/s; replayed (overwrite) {n / replay / 1e6:.2f} M/s = "
          f"{b / replay:.2f} of bare")


def bench_influx_write(url: str) -> None:
    frame = minute_frame(POINTS, 1000)  # 300,000 readings (scaled: the server, not us, sets the pace)
    keys = {pid: f"reading,device={pid.split('.')[0]},point={pid}" for pid in frame["point_id"].unique()}
    payloads = list(batches(raw_lines(frame, keys), 5000))
    n = len(frame)
    bare_times, ours_times = [], []
    for run in range(2):
        with httpx.Client(base_url=url) as client:
            client.post("/query", data={"q": f'CREATE DATABASE "bare{run}"'})
            t = time.perf_counter()
            for payload in payloads:
                client.post("/write", params={"db": f"bare{run}", "precision": "u"}, content=payload)
            bare_times.append(time.perf_counter() - t)
        store = InfluxStore(url, f"ours{run}", timezone=TZ)
        t = time.perf_counter()
        store.write_frame(frame)
        ours_times.append(time.perf_counter() - t)
        store.close()
    bare, ours = min(bare_times), min(ours_times)
    print(f"influx write, {n:,} readings in 5000-line batches: bare httpx post {n / bare:,.0f} pts/s; "
          f"InfluxStore.write_frame {n / ours:,.0f} pts/s; ratio {bare / ours:.2f} (target >= 0.80: "
          f"{'PASS' if bare / ours >= 0.8 else 'FAIL'})")


def counter_points() -> list[PointInfo]:
    return [
        PointInfo(id=f"meter-{i:03d}.import_kwh", device=f"meter-{i:03d}", name="import_kwh", unit="kWh",
                  kind=PointKind.ENERGY_COUNTER, role=EnergyRole.CONSUMPTION, subsystem=f"subsystem-{i % 17:02d}",
                  group="energy", interval_s=60.0)
        for i in range(POINTS)
    ]


RATE_SQL = "(0.25 * (1 + p % 4))"  # kWh per minute of meter p: 15, 30, 45 or 60 kW
EXPECTED_YEAR_KWH = sum(365 * 1440 * 0.25 * (1 + p % 4) for p in range(POINTS))


def generate_daily_rollups(store: DuckDBStore) -> None:
    """A year of daily rollups for 300 counters, as the rollup build would write them for steady meters."""
    store._con.execute(f"""
        INSERT INTO rollup_day
        SELECT TIMESTAMPTZ '2025-12-31 16:00:00+00' + d * INTERVAL 1 DAY, 'meter-' || lpad(p::VARCHAR, 3, '0')
               || '.import_kwh', 1000 + (d * 1440 + 719.5) * {RATE_SQL}, 1000 + d * 1440 * {RATE_SQL},
               1000 + (d * 1440 + 1439) * {RATE_SQL}, 1000 + (d * 1440 + 1439) * {RATE_SQL}, 1440, 0,
               1000 + d * 1440 * {RATE_SQL}, 1440 * {RATE_SQL}, 0, 0, 60.0
        FROM range({POINTS}) a(p), range(365) b(d)""")


def generate_raw(store: DuckDBStore, days: int) -> int:
    """``days`` of 1-minute counter readings for 300 points, straight in SQL (research note §5: 20 M rows/s)."""
    store._con.execute(f"""
        INSERT INTO readings
        SELECT 'meter-' || lpad(p::VARCHAR, 3, '0') || '.import_kwh',
               TIMESTAMPTZ '2025-12-31 16:00:00+00' + m * INTERVAL 1 MINUTE, 1000 + m * {RATE_SQL}, 'good'
        FROM range({POINTS}) a(p), range({days * 1440}) b(m)""")
    store._con.execute("INSERT INTO rollup_pending (lo, hi) VALUES (?, ?)",
                       [YEAR_START, YEAR_START + pd.Timedelta(days=days) - pd.Timedelta(minutes=1)])
    return POINTS * days * 1440


def monthly_by_subsystem(store: object) -> pd.DataFrame:
    points = counter_points()
    energy = interval_energy(store, points, YEAR_START, YEAR_END, "month", TZ)  # type: ignore[arg-type]
    subsystem = {p.id: p.subsystem for p in points}
    energy["subsystem"] = energy["point_id"].map(subsystem)
    return energy.groupby(["start", "subsystem"], sort=True)["energy_kwh"].sum().reset_index()


NAIVE_SQL = """
SELECT date_trunc('month', ts AT TIME ZONE 'Asia/Shanghai') AS month, point_id, max(value) - min(value) AS kwh
FROM readings GROUP BY ALL ORDER BY ALL
"""


def bench_monthly_duckdb(tmp: Path, full: bool) -> DuckDBStore:
    store = DuckDBStore(tmp / "year.duckdb", timezone=TZ)
    raw_days = 365 if full else 14
    t = time.perf_counter()
    rows = generate_raw(store, raw_days)
    gen = time.perf_counter() - t
    build = best(store.update_rollups, runs=1)
    naive = best(lambda: store._con.execute(NAIVE_SQL).df())
    print(f"rollup build from raw: {rows:,} rows ({raw_days} days x {POINTS} points, generated in {gen:.1f} s) "
          f"rolled up in {build:.1f} s = {rows / build / 1e6:.2f} M rows/s; a year would take "
          f"~{build * 365 / raw_days:.0f} s")
    if not full:
        store._con.execute("DELETE FROM rollup_day; DELETE FROM rollup_month")
        generate_daily_rollups(store)
        planner = RollupPlanner(TZ)
        months = pd.date_range("2026-01-01", periods=12, freq="MS", tz=TZ).tz_convert("UTC")
        t = time.perf_counter()
        for month in months:
            planner.rebuild_month(store, month)
        print(f"months from daily rollups (12 months x {POINTS} points): {time.perf_counter() - t:.2f} s")
    result: list[pd.DataFrame] = []
    query = best(lambda: result.append(monthly_by_subsystem(store)), runs=3)
    total = result[-1]["energy_kwh"].sum()
    # from raw, each meter's first reading opens the year: its first minute of energy is not in the data
    expected = EXPECTED_YEAR_KWH - (sum(0.25 * (1 + p % 4) for p in range(POINTS)) if full else 0)
    naive_note = "" if full else f" (extrapolated x{365 / raw_days:.0f} from {raw_days} days)"
    naive_year = naive * (1 if full else 365 / raw_days)
    print(f"duckdb monthly energy by subsystem, 1 year x {POINTS} points, from rollups: {query:.3f} s "
          f"(target < 2 s: {'PASS' if query < 2 else 'FAIL'}); naive SQL over raw {naive_year:.2f} s{naive_note}; "
          f"ratio {naive_year / query:.1f}x; total {total:,.1f} kWh (expected {expected:,.1f})")
    return store


def bench_monthly_influx(url: str, duck: DuckDBStore) -> None:
    store = InfluxStore(url, "year", timezone=TZ)
    t = time.perf_counter()
    planner = RollupPlanner(TZ)
    months = pd.date_range("2026-01-01", periods=13, freq="MS", tz=TZ).tz_convert("UTC")
    for lo, hi in zip(months[:-1], months[1:], strict=True):
        store.replace_rollups("day", lo, hi, duck.read_rollups_all("day", lo, hi))
        planner.rebuild_month(store, lo)
    load = time.perf_counter() - t
    result: list[pd.DataFrame] = []
    query = best(lambda: result.append(monthly_by_subsystem(store)), runs=3)
    total = result[-1]["energy_kwh"].sum()
    print(f"influx monthly energy by subsystem, same year from rollups: {query:.3f} s (target < 2 s: "
          f"{'PASS' if query < 2 else 'FAIL'}); loading the daily rollups and building months took {load:.1f} s; "
          f"total {total:,.1f} kWh (DuckDB's daily rollups copied: the same total expected)")
    store.close()


def main(argv: list[str]) -> int:
    full = "--full" in argv
    print(f"bench_storage at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{' (full year of raw data)' if full else ''}")
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as name:
        tmp = Path(name)
        bench_duckdb_ingest(tmp)
        if "--ingest" in argv:  # only the DuckDB ingest section
            return 0
        influxd = start_influxd(tmp / "influxd")
        try:
            bench_influx_write(influxd.url)
            duck = bench_monthly_duckdb(tmp, full)
            bench_monthly_influx(influxd.url, duck)
            duck.close()
        finally:
            influxd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
