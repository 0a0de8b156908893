"""Yearly carbon report of the simulated site from 1-minute data, in all four formats; target < 10 s (issue 6).

Data: two years (2025 baseline + 2026 report year) of the simulator's 1-minute backfill
(``simulators.backfill.history_chunks``) for the points a carbon report reads (energy counters and power of every
role, outdoor temperature, visitors, cooling, plane-of-array irradiance, module temperature: ~60 of the site's
1,041 points) in a DuckDB store, cached in ``data/bench/carbon-1min.duckdb`` (first run builds it: minutes).
Baseline in the same script: reading the period's raw 1-minute rows of those points (what a report would cost
without rollups). Run: ``.venv/bin/python bench/bench_report.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carbon import issue as wiring  # noqa: E402
from carbon.period import parse_period  # noqa: E402
from models.loader import load_site  # noqa: E402
from models.vocabulary import EnergyRole  # noqa: E402
from simulators.backfill import history_chunks  # noqa: E402
from storage.duckdb_store import DuckDBStore  # noqa: E402
from storage.energy import energy_points  # noqa: E402

STORE = ROOT / "data" / "bench" / "carbon-1min.duckdb"
START = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)  # 2025-01-01 00:00 Asia/Shanghai
END = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 Asia/Shanghai
WEATHER_ROLES = (EnergyRole.OUTDOOR_TEMPERATURE, EnergyRole.VISITORS, EnergyRole.IRRADIANCE_POA,
                 EnergyRole.MODULE_TEMPERATURE)


def carbon_points(site) -> set[str]:  # type: ignore[no-untyped-def]
    ids = {p.id for p in energy_points(site).values()}
    return ids | {p.id for role in WEATHER_ROLES for p in site.points_by_role(role)}


def build_store(site) -> None:  # type: ignore[no-untyped-def]
    STORE.parent.mkdir(parents=True, exist_ok=True)
    keep = carbon_points(site)
    store = DuckDBStore(STORE.with_suffix(".tmp"), timezone=site.info.timezone)
    t0, rows = time.perf_counter(), 0
    for day, frame in enumerate(history_chunks(site, START, END, step="1min", seed=0)):
        part = frame[frame["point_id"].isin(keep)]
        part = part.assign(point_id=part["point_id"].astype(str))
        rows += store.write_frame(part)
        if day % 30 == 29:
            store.update_rollups()
            print(f"  backfill day {day + 1}: {rows:,} rows, {time.perf_counter() - t0:.0f} s", flush=True)
    store.update_rollups()
    store.close()
    STORE.with_suffix(".tmp").rename(STORE)
    print(f"built {STORE}: {rows:,} rows of 1-minute data for {len(keep)} points in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    site = load_site(ROOT / "config" / "site.yaml")
    if not STORE.exists():
        build_store(site)
    files = wiring.load_report_files(ROOT / "config" / "site.yaml", None, None)
    period = parse_period("2026")
    store = DuckDBStore(STORE, timezone=site.info.timezone)
    t0, t1 = period.local_bounds(site.info.timezone)
    began = time.perf_counter()
    raw = store.read(sorted(carbon_points(site)), t0.to_pydatetime(), t1.to_pydatetime(), "raw")
    baseline_s = time.perf_counter() - began
    print(f"baseline: read {len(raw):,} raw 1-minute rows of the year: {baseline_s:.2f} s")
    del raw
    timings: dict[str, float] = {}
    began = time.perf_counter()
    report = wiring.issue_report(store, files, period, command="bench")
    timings["build (store -> report model)"] = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("json", "csv", "xlsx", "pdf"):
            began = time.perf_counter()
            wiring.render(report, fmt, Path(tmp) / f"report.{fmt}")
            timings[f"render {fmt}"] = time.perf_counter() - began
    store.close()
    total = sum(timings.values())
    for name, seconds in timings.items():
        print(f"{name:32s} {seconds:6.2f} s")
    four_runs = 4 * timings["build (store -> report model)"] + sum(v for k, v in timings.items() if "render" in k)
    print(f"one build + four formats: {total:.2f} s (target < 10 s) {'OK' if total < 10 else 'MISSED'}")
    print(f"four separate commands (build each time): {four_runs:.2f} s")
    print(f"ratio report (all formats) / raw-read baseline: {total / baseline_s:.2f}")
    print(f"measured share {report['summary']['measured_share']}, scope 2 location-based "
          f"{report['summary']['scope2_location_tco2e']:.1f} tCO2e, baseline CV(RMSE) "
          f"{report['strategies']['demand_reduction']['baseline']['cv_rmse_pct']}")


if __name__ == "__main__":
    main()
