"""Date-range presets and the rollup resolution each one reads, so a year draws as fast as a day.

The rule keeps every chart near a few hundred points per series: the store's rollups do the work, not the
browser. A day at 15 minutes is 96 points, a month at hours 720, a year at days 365.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.base import Resolution

PRESET_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30, "year": 365}
LONG_RANGE_TTL_S = 60.0  # a week or more drawn from rollups barely moves in a minute: share it that long


def snapshot_ttl_s(preset: str) -> float | None:
    """How long a page's snapshot of ``preset`` is shared: None = one refresh tick (today's live numbers)."""
    return None if PRESET_DAYS.get(preset, 1) == 1 else LONG_RANGE_TTL_S


def resolution_for(span: timedelta) -> Resolution:
    if span <= timedelta(hours=6):
        return "raw"
    if span <= timedelta(days=3):
        return "15min"
    if span <= timedelta(days=45):
        return "hour"
    if span <= timedelta(days=800):
        return "day"
    return "month"


def energy_interval_for(span: timedelta) -> str:
    """The ``by=`` of storage.energy for a span: the finest interval that still keeps charts light."""
    resolution = resolution_for(span)
    return {"raw": "15min", "15min": "15min", "hour": "hour", "day": "day", "month": "month"}[resolution]


def window(preset: str, now: datetime, today_start: datetime) -> tuple[datetime, datetime, Resolution]:
    """``(start, end, resolution)`` of a preset: "day" is today since local midnight, others look back N days."""
    days = PRESET_DAYS.get(preset, 1)
    start = today_start if days == 1 else today_start - timedelta(days=days - 1)
    return start, now, resolution_for(now - start)
