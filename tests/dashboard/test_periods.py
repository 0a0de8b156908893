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
