"""Date ranges pick the rollup so every chart stays at a few hundred points per series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.periods import resolution_for, window


def test_resolution_grows_with_the_span() -> None:
    assert resolution_for(timedelta(hours=2)) == "raw"
    assert resolution_for(timedelta(days=1)) == "15min"  # 96 points
    assert resolution_for(timedelta(days=30)) == "hour"  # 720 points
    assert resolution_for(timedelta(days=365)) == "day"  # 365 points
    assert resolution_for(timedelta(days=3 * 365)) == "month"


def test_today_starts_at_local_midnight_and_a_year_looks_back_365_days() -> None:
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    midnight = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 2026-11-25 00:00 Asia/Shanghai (UTC+8)
    assert window("day", now, midnight) == (midnight, now, "15min")
    start, end, resolution = window("year", now, midnight)
    assert (midnight - start, end, resolution) == (timedelta(days=364), now, "day")


def test_a_long_range_is_never_read_raw(site, console_store, console_now, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two days asked for raw come from the 15-minute rollup: 1 row per 15 min, not the 5-minute history."""
    import pandas as pd

    from dashboard.context import Console
    from dashboard.sources import series
    from zerocarbon.settings import Settings

    console = Console(console_store, site, None, Settings(data_dir=tmp_path))
    end = console_now - timedelta(hours=1)
    frame = series(console, ["grid-meter-1.p_kw"], end - timedelta(days=2), end, "raw")
    steps = pd.Series(sorted(frame["ts"])).diff().dropna()
    assert len(frame) <= 2 * 96 + 1 and (steps >= pd.Timedelta(minutes=15)).all()
    short = series(console, ["grid-meter-1.p_kw"], end - timedelta(hours=2), end, "raw")
    assert len(short) >= 20  # two hours of 5-minute raw rows stay raw
