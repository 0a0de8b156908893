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
