"""Backfill benchmark: 90 days of the whole Zhuhai site at 1-minute resolution into the DuckDB store.

    python bench/bench_backfill.py [--days 90] [--step 1min] [--rollups]

Prints generation time, store write time and rows/s, beside a baseline in the same script: a plain DuckDB
``INSERT ... SELECT`` of the same day frames into a bare table (no upsert, no latest, no rollup bookkeeping).
Target (issue 3): the 90-day, 1-minute backfill of the full site in under 2 minutes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402

from models.loader import load_site  # noqa: E402
from simulators.backfill import BackfillResult, history_chunks  # noqa: E402
from storage.duckdb_store import DuckDBStore  # noqa: E402

END = datetime(2026, 11, 1, 16, tzinfo=UTC)  # local midnight, Asia/Shanghai


def timed_generation(site, start, end, step):  # type: ignore[no-untyped-def]
    """Yield (frame, seconds spent generating it)."""
    chunks = history_chunks(site, start, end, step, seed=0, result=BackfillResult())
    while True:
        began = time.perf_counter()
        try:
            frame = next(chunks)
        except StopIteration:
            return
        yield frame, time.perf_counter() - began


def run_store(site, start, end, step, workdir: Path, rollups: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    store = DuckDBStore(workdir / "store.duckdb", timezone=site.info.timezone)
    gen = write = 0.0
    rows = 0
    began, cpu_began = time.perf_counter(), time.process_time()
    for frame, seconds in timed_generation(site, start, end, step):
        gen += seconds
        t = time.perf_counter()
        rows += store.write_frame(frame)
        write += time.perf_counter() - t
    total = time.perf_counter() - began
    report_backfill(rows, gen, write, total, time.process_time() - cpu_began)
    if rollups:
        t = time.perf_counter()
        try:
            store.update_rollups()  # the pending ranges the writes recorded, as the command does
            print(f"store.update_rollups over the range: {time.perf_counter() - t:.1f} s", flush=True)
        except Exception as exc:  # the rollups are storage's; report and still run the baseline
            print(f"store.update_rollups FAILED after {time.perf_counter() - t:.1f} s: {exc!r}", flush=True)
    store.close()
    return {"rows": rows, "write_s": write}


def report_backfill(rows: int, gen: float, write: float, total: float, cpu: float) -> None:
    verdict = "met" if total < 120 else "NOT met"
    print(f"{rows:,} readings; backfill (generate + DuckDBStore.write_frame): {total:.1f} s = "
          f"{rows / total:,.0f} rows/s  [target < 120 s: {verdict}]")
    print(f"  generate (physics + frames):  {gen:.1f} s = {rows / gen:,.0f} rows/s")
    print(f"  DuckDBStore.write_frame:      {write:.1f} s = {rows / write:,.0f} rows/s", flush=True)
    # On a shared 2-core box wall time swings with the neighbours; CPU seconds (all threads) do not.
    print(f"  CPU: {cpu:.1f} s (all threads); wall/CPU = {total / cpu:.2f}", flush=True)


def run_baseline(site, start, end, step, workdir: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(workdir / "plain.duckdb"))
    con.execute("CREATE TABLE readings (ts TIMESTAMPTZ, point_id VARCHAR, value DOUBLE, quality VARCHAR)")
    write = cpu = 0.0
    rows = 0
    for frame, _ in timed_generation(site, start, end, step):
        t, c = time.perf_counter(), time.process_time()
        con.register("batch", frame)
        con.execute("INSERT INTO readings SELECT ts, point_id::VARCHAR, value, quality::VARCHAR FROM batch")
        con.unregister("batch")
        write += time.perf_counter() - t
        cpu += time.process_time() - c
        rows += len(frame)
    con.execute("CHECKPOINT")
    con.close()
    return {"rows": rows, "write_s": write, "cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--step", default="1min")
    parser.add_argument("--rollups", action="store_true", help="also time store.update_rollups over the range")
    args = parser.parse_args()
    site = load_site(Path("config/site.yaml"))
    start = END - timedelta(days=args.days)
    print(f"site: {len(site.devices)} devices; {args.days} days at {args.step}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        ours = run_store(site, start, END, args.step, Path(tmp), args.rollups)
        base = run_baseline(site, start, END, args.step, Path(tmp))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"baseline: plain DuckDB INSERT of the same frames: {base['write_s']:.1f} s = "
          f"{base['rows'] / base['write_s']:,.0f} rows/s; store write / plain insert = "
          f"{ours['write_s'] / base['write_s']:.1f}x (insert CPU {base['cpu_s']:.1f} s)")
    print(f"peak RSS: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
