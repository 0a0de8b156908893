"""The demo's history fill: steps that run one after another behind an already-served console.

Each step is a :class:`FillStep` in :data:`FILL_STEPS`; adding one (a baseline year, say) is one line::

    FILL_STEPS.append(FillStep("baseline", "days", baseline_days, fill_baseline))

A step gets a :class:`FillContext` and reports its progress through ``ctx.advance()``, which moves both the
terminal's progress bar and the console's banner (:class:`dashboard.fill_status.FillStatus`). Ctrl-C is acted
on at the next ``advance`` (:class:`FillStopped`), so what is stored stays whole and the next run continues it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dashboard.fill_status import FillStatus
from models.errors import FillStopped
from models.site import Site
from models.vocabulary import PointKind
from storage.base import RollupReader, Store

if TYPE_CHECKING:  # carbon's imports are heavy: the fill loads them only for the baseline step
    from carbon.files import CarbonFiles


@dataclass
class FillContext:
    store: Store  # written by the backfills, rolled up, read for what is already there
    site: Site
    span: tuple[datetime, datetime]  # what is missing: from the newest stored reading (or N days ago) to now
    seed: int
    stop: threading.Event
    status: FillStatus
    on_advance: Callable[[int], None] = field(default=lambda _n: None)
    carbon: CarbonFiles | None = None  # its carbon.yaml names the baseline year to fill; None: no baseline step

    def advance(self, units: int = 1) -> None:
        self.status.advance(units)
        self.on_advance(units)
        if self.stop.is_set():
            raise FillStopped


@dataclass(frozen=True)
class FillStep:
    name: str  # catalog key fill.step.<name> names it in the console
    unit: str  # catalog key fill.unit.<unit>
    size: Callable[[FillContext], int]  # how many units this step will report
    run: Callable[[FillContext], None]


def _history_days(ctx: FillContext) -> int:
    from simulators.backfill import day_bounds

    return len(day_bounds(ctx.site, *ctx.span))


def _fill_history(ctx: FillContext) -> None:
    """The simulated site's readings, a day at a time, continuing the stored counters (restarting them at
    their origins would read as a reset of every meter)."""
    from simulators.backfill import backfill

    counters = {p.id for p in ctx.site.points() if p.kind is PointKind.ENERGY_COUNTER}
    latest = ctx.store.latest(sorted(counters))
    origins = {pid: float(v) for pid, v in zip(latest["point_id"], latest["value"], strict=True) if v == v}
    backfill(ctx.store, ctx.site, *ctx.span, "1min", ctx.seed, progress=lambda _rows: ctx.advance(), origins=origins)


# Rollups are rebuilt a few local days at a time so Ctrl-C is acted on between two chunks: one rebuild of the
# whole month ran 52 s at load 4 with no stop check, and the demo ignored Ctrl-C that long (longer under more
# load). 5 days plus the planner's glitch context on either side is one 7-day read (storage.rollup_plan).
ROLLUP_CHUNK_DAYS = 5


def rollup_chunks(site: Site, span: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
    """``span`` cut at local midnights (as the backfill writes it) into runs of :data:`ROLLUP_CHUNK_DAYS` days,
    so each chunk settles whole pending writes."""
    from simulators.backfill import day_bounds

    days = day_bounds(site, *span)
    return [(days[i][0].to_pydatetime(), days[min(i + ROLLUP_CHUNK_DAYS, len(days)) - 1][1].to_pydatetime())
            for i in range(0, len(days), ROLLUP_CHUNK_DAYS)]


def roll_up(ctx: FillContext, span: tuple[datetime, datetime]) -> None:
    """Rebuild the rollups of ``span`` chunk by chunk, one ``advance`` each. Stopped part way, what was not
    rebuilt stays pending in the store, and the platform's rollup job rebuilds it once the demo runs."""
    for lo, hi in rollup_chunks(ctx.site, span):
        ctx.store.update_rollups(lo, hi)
        ctx.advance()


def _fill_rollups(ctx: FillContext) -> None:
    roll_up(ctx, ctx.span)


def baseline_span(store: RollupReader, site: Site, carbon: CarbonFiles | None,
                  before: datetime) -> tuple[datetime, datetime] | None:
    """The carbon baseline year (``baseline`` in carbon.yaml), cut at ``before`` (where the recent history
    begins); None when there is nothing to write (no carbon.yaml, no baseline, the whole year already stored)."""
    from simulators.report_history import report_points

    baseline = carbon.config.baseline if carbon is not None and carbon.has_config() else None
    if baseline is None:
        return None
    zone = ZoneInfo(site.info.timezone)
    start = datetime.combine(baseline.start, datetime.min.time()).replace(tzinfo=zone)
    end = min(datetime.combine(baseline.end, datetime.min.time()).replace(tzinfo=zone), before)
    probe = sorted(report_points(site))[:1]
    if end <= start or not probe:
        return None
    # the fill writes the year oldest month first, so its last day tells a whole year from one stopped part way
    # by Ctrl-C (that one is written again: the same seed gives the same readings)
    last_day = max(start, end - timedelta(days=1))
    written = not store.read(probe, last_day, end, "day").empty or not store.read(probe, last_day, end).empty
    return None if written else (start, end)


def _baseline(ctx: FillContext) -> tuple[datetime, datetime] | None:
    return baseline_span(ctx.store, ctx.site, ctx.carbon, ctx.span[0] - timedelta(minutes=1))


def _baseline_days(ctx: FillContext) -> int:
    from simulators.backfill import day_bounds

    span = _baseline(ctx)
    return len(day_bounds(ctx.site, *span)) + len(rollup_chunks(ctx.site, span)) if span else 0


def _fill_baseline(ctx: FillContext) -> None:
    """The carbon baseline year for the report points at 5-minute readings (simulators.report_history), so the
    Carbon page fits its ASHRAE G14 baseline; after the recent history, which a newcomer looks at first."""
    from simulators.report_history import backfill_report_history

    span = _baseline(ctx)
    if span is None:
        return
    backfill_report_history(ctx.store, ctx.site, *span, ctx.seed, progress=lambda _rows: ctx.advance())
    roll_up(ctx, span)


FILL_STEPS: list[FillStep] = [
    FillStep("history", "days", _history_days, _fill_history),
    FillStep("rollups", "steps", lambda ctx: len(rollup_chunks(ctx.site, ctx.span)), _fill_rollups),
    FillStep("baseline", "days", _baseline_days, _fill_baseline),
]


def run_fill(ctx: FillContext, on_step: Callable[[FillStep, int], None] = lambda _s, _n: None) -> None:
    """Run every step in order; ``on_step(step, size)`` is called as each begins (the terminal's bar)."""
    try:
        for step in FILL_STEPS:
            size = step.size(ctx)
            ctx.status.begin(step.name, size, step.unit)
            on_step(step, size)
            step.run(ctx)
    except FillStopped:
        ctx.status.finish()
        raise
    except Exception as exc:
        ctx.status.finish(problem=str(exc))
        raise
    ctx.status.finish()
