"""The demo's fill steps: they run in order behind the console, report progress, and one more is one line."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.fill_status import FillStatus
from models.errors import FillStopped
from zerocarbon import demo_fill
from zerocarbon.demo_fill import FillContext, FillStep, run_fill


def test_an_added_step_runs_after_the_history_with_its_own_progress(site, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.duckdb_store import DuckDBStore

    seen: list[tuple[str, dict[str, object]]] = []

    def extra(ctx: FillContext) -> None:
        seen.append(("extra ran", ctx.status.view()))
        for _ in range(3):
            ctx.advance()

    steps = list(demo_fill.FILL_STEPS)
    monkeypatch.setattr(demo_fill, "FILL_STEPS", steps)
    steps.append(FillStep("extra", "days", lambda _ctx: 3, extra))  # the one line another fill needs
    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    status = FillStatus()
    now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    began: list[str] = []
    try:
        run_fill(FillContext(store, site, (now - timedelta(hours=1), now), 0, threading.Event(), status),
                 on_step=lambda step, size: began.append(f"{step.name}:{size}"))
        assert not store.latest().empty  # the history step wrote readings before the added step ran
    finally:
        store.close()
    assert began[:2] == ["history:1", "rollups:1"] and began[-1] == "extra:3"  # (the baseline fill sits between)
    assert seen[0][1]["step"] == "extra" and seen[0][1]["running"] is True
    assert status.view()["done"] == 3 and status.view()["running"] is False


def test_ctrl_c_stops_the_fill_and_the_banner_goes(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from storage.duckdb_store import DuckDBStore

    stop = threading.Event()
    stop.set()
    status = FillStatus()
    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    try:
        with pytest.raises(FillStopped):
            run_fill(FillContext(store, site, (now - timedelta(days=2), now), 0, stop, status))
    finally:
        store.close()
    view = status.view()
    assert (view["step"], view["done"], view["running"], view["problem"]) == ("history", 1, False, "")


def test_ctrl_c_in_the_rollup_step_stops_after_one_chunk_and_loses_nothing(site, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The rollup step used to rebuild the whole span in one call (52 s for 30 days at load 4) and ignored
    Ctrl-C until it ended. Now it stops after the chunk in hand; every reading written stays, and what was not
    rolled up stays pending for the platform's rollup job."""
    from storage.duckdb_store import DuckDBStore

    class CountingStore(DuckDBStore):
        calls = 0

        def update_rollups(self, start=None, end=None) -> None:  # type: ignore[no-untyped-def]
            CountingStore.calls += 1
            super().update_rollups(start, end)

    monkeypatch.setattr(demo_fill, "ROLLUP_CHUNK_DAYS", 1)
    stop = threading.Event()
    now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Zhuhai
    span = (now - timedelta(hours=54), now)  # three local days: from 06:00, a whole one, to 12:00
    assert len(demo_fill.rollup_chunks(site, span)) == 3
    store = CountingStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    try:
        with pytest.raises(FillStopped):  # Ctrl-C pressed as the rollup step begins
            run_fill(FillContext(store, site, span, 0, stop, FillStatus()),
                     on_step=lambda step, _size: stop.set() if step.name == "rollups" else None)
        assert CountingStore.calls == 1  # the chunk in hand, not the rest
        probe = ["grid-meter-1.import_kwh", "pv-inv-01.W"]
        raw = store.read(probe, *span)
        assert raw.groupby("point_id").size().to_dict() == {p: 54 * 60 for p in probe}  # every minute kept
        last_day = (datetime(2026, 5, 31, 16, 0, tzinfo=UTC), now)  # beyond the first chunk's glitch context
        assert store.read(probe, *last_day, "hour").empty  # not rolled up yet ...
        store.update_rollups()  # ... until the platform's rollup job settles what is pending
        assert len(store.read(probe, *last_day, "hour")) == 2 * 12
    finally:
        store.close()
