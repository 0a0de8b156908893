"""Baseline-year benchmark: the demo's carbon baseline fill (report points, 5-minute readings from hourly
physics, simulators/report_history.py) against the 1-minute backfill of the whole site over the same days.

    python bench/bench_baseline_year.py [--days 14] [--year]

Both write into their own DuckDB file and build rollups, in this process, one after the other. Prints seconds
per simulated day for each and the ratio; ``--year`` then times the real thing, 365 days of the baseline fill
(what ``zerocarbon demo`` does once on a fresh data dir). Report the load average (``uptime``) beside the numbers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.loader import load_site  # noqa: E402
from simulators.backfill import backfill  # noqa: E402
from simulators.report_history import backfill_report_history, report_points  # noqa: E402
from storage.duckdb_store import DuckDBStore  # noqa: E402

START = datetime(2024, 12, 31, 16, tzinfo=UTC)  # 2025-01-01 00:00 Asia/Shanghai


def timed(write, path: Path, site, days: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    store = DuckDBStore(path, timezone=site.info.timezone)
    try:
        t0 = time.perf_counter()
        result = write(store, site, START, START + timedelta(days=days))
        t1 = time.perf_counter()
        store.update_rollups()
        return t1 - t0, time.perf_counter() - t1, result.rows
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--year", action="store_true", help="also time 365 days of the baseline fill")
    args = parser.parse_args()
    site = load_site(Path(__file__).resolve().parents[1] / "config" / "site.yaml")
    print(f"{len(report_points(site))} report points of {len(site.points())}; {args.days} days each")
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        full = timed(lambda s, site, a, b: backfill(s, site, a, b, "1min", 0), Path(tmp) / "full.duckdb", site,
                     args.days)
        ours = timed(lambda s, site, a, b: backfill_report_history(s, site, a, b, 0), Path(tmp) / "ours.duckdb",
                     site, args.days)
        for name, (write_s, rollup_s, rows) in (("1-min backfill, every point (baseline)", full),
                                                ("baseline fill, report points at 5 min", ours)):
            print(f"{name}: {rows:,} readings, write {write_s:.1f} s + rollups {rollup_s:.1f} s = "
                  f"{(write_s + rollup_s) / args.days:.2f} s per day")
        print(f"ratio (baseline / ours, per day): {(full[0] + full[1]) / (ours[0] + ours[1]):.1f}x")
        if args.year:
            write_s, rollup_s, rows = timed(lambda s, site, a, b: backfill_report_history(s, site, a, b, 0),
                                            Path(tmp) / "year.duckdb", site, 365)
            print(f"365-day baseline fill: {rows:,} readings, write {write_s:.1f} s + rollups {rollup_s:.1f} s")


if __name__ == "__main__":
    main()
