"""Alarm evaluation throughput: readings/s through 500 rules on one core, against a loop that only iterates.

Target (issue 7): 20,000 readings/s through 500 rules. The engine runs in this one process; the journal worker
thread only wakes on alarm edges, which are rare here (values stay inside their limits, as on a healthy site).
Readings cover every numeric point of the Zhuhai site (about two in three are watched), in collector-sized
batches. Run: ``.venv/bin/python bench/bench_alerts.py``
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alerts.engine import AlarmEngine  # noqa: E402
from alerts.journal import AlarmJournal  # noqa: E402
from alerts.rule_loader import load_rules  # noqa: E402
from models.loader import load_site  # noqa: E402
from models.reading import Reading  # noqa: E402
from models.vocabulary import PointKind  # noqa: E402

RULES = 500
READINGS = 400_000
BATCH = 100
SKIP = {PointKind.TEXT, PointKind.SCALE_FACTOR}


def rule_for(i: int, point) -> dict:  # type: ignore[no-untyped-def]
    """Cycle through the condition types a real rules file uses."""
    kinds = [
        {"type": "high", "limit": 1e9, "deadband": 1.0},
        {"type": "low", "limit": -1e9, "deadband": 1.0},
        {"type": "rate", "max_per_minute": 1e9},
        {"type": "flatline", "for_s": 3600, "tolerance": 0.0},
        {"type": "stale", "intervals": 1e6},
    ]
    if point.kind in (PointKind.STATE, PointKind.EVENT_BITFIELD):
        condition = {"type": "fault_code", "normal": [0] + list(range(1, 256))}
    else:
        condition = kinds[i % len(kinds)]
    return {"id": f"r{i:03d}", "points": [point.id], "condition": condition, "on_delay_s": 10}


def main() -> None:
    site = load_site(ROOT / "config" / "site.yaml")
    points = [p for p in site.points() if p.kind not in SKIP]
    rng = random.Random(7)
    watched = rng.sample(points, RULES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "alarms.yaml"
        rules = [rule_for(i, p) for i, p in enumerate(watched)]
        path.write_text(yaml.safe_dump({"rules": rules}), encoding="utf-8")
        ruleset = load_rules(path, site)
        journal = AlarmJournal(Path(tmp) / "alarms.sqlite")
        engine = AlarmEngine(ruleset, site, journal)
        batches = make_batches(points, rng)
        print(
            f"{len(ruleset.rules)} rules, {len(engine.sources)} sources; {len(points)} numeric points, "
            f"{READINGS:,} readings in batches of {BATCH}"
        )
        base = best_of(3, lambda: baseline(batches))
        run = best_of(3, lambda: through_engine(engine, batches))
        single = best_of(1, lambda: one_by_one(engine, batches[: len(batches) // 10]))
        engine.flush()
        engine.close()
        print(f"baseline loop (iterate only): {READINGS / base:>12,.0f} readings/s")
        print(
            f"engine, batches of {BATCH}:      {READINGS / run:>12,.0f} readings/s  "
            f"(baseline/engine time ratio {run / base:.1f}x; {run / READINGS * 1e6:.2f} us/reading)"
        )
        print(f"engine, one reading per put: {READINGS / 10 / single:>12,.0f} readings/s")
        flood(site, points, Path(tmp))
        print(
            f"target 20,000 readings/s: {'MET' if READINGS / run >= 20_000 else 'MISSED'} "
            f"({READINGS / run / 20_000:.1f}x the target)"
        )


def flood(site, points, tmp: Path, sweeps: int = 20) -> None:  # type: ignore[no-untyped-def]
    """An alarm flood: every watched value jumps across its limit on every sweep (no deadband, no delay), so
    each reading is an edge. put() stays in memory; the journal worker (same core) writes each edge to SQLite."""
    batches = [
        [Reading(p.id, 1_780_000_000.0 + 5 * k, 1000.0 if k % 2 else 0.0) for p in points[:RULES]]
        for k in range(sweeps)
    ]
    rules = [
        {"id": f"f{i:03d}", "points": [p.id], "condition": {"type": "high", "limit": 500.0}}
        for i, p in enumerate(points[:RULES])
    ]
    path = tmp / "flood.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}), encoding="utf-8")
    engine = AlarmEngine(load_rules(path, site), site, AlarmJournal(tmp / "flood.sqlite"))
    n = sum(len(b) for b in batches)
    started = time.perf_counter()
    through_engine(engine, batches)
    put_s = time.perf_counter() - started
    engine.flush(600)
    total_s = time.perf_counter() - started
    edges = len(engine.journal.history(limit=10_000_000))
    engine.close()
    print(
        f"alarm flood: {n:,} readings, {edges:,} journal transitions: put() {n / put_s:,.0f} readings/s; "
        f"journal drained after {total_s:.2f} s ({edges / total_s:,.0f} transitions/s)"
    )


def make_batches(points, rng: random.Random) -> list[list[Reading]]:  # type: ignore[no-untyped-def]
    """Readings that sweep the site, one timestamp per sweep, values wandering like live data."""
    out: list[list[Reading]] = []
    batch: list[Reading] = []
    ts, n = 1_780_000_000.0, 0
    levels = {p.id: rng.uniform(0, 1000) for p in points}
    while n < READINGS:
        for p in points:
            if n == READINGS:
                break
            levels[p.id] += rng.uniform(-1, 1)
            coded = p.kind in (PointKind.STATE, PointKind.EVENT_BITFIELD)
            batch.append(Reading(p.id, ts, float(int(levels[p.id]) & 0xFF) if coded else levels[p.id]))
            n += 1
            if len(batch) == BATCH:
                out.append(batch)
                batch = []
        ts += 5.0
    if batch:
        out.append(batch)
    return out


def baseline(batches: list[list[Reading]]) -> None:
    sink = []
    for batch in batches:
        for r in batch:
            sink.append(r.point_id)
        sink.clear()


def through_engine(engine: AlarmEngine, batches: list[list[Reading]]) -> None:
    for batch in batches:
        engine.put(batch)


def one_by_one(engine: AlarmEngine, batches: list[list[Reading]]) -> None:
    for batch in batches:
        for r in batch:
            engine.put((r,))


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


if __name__ == "__main__":
    main()
