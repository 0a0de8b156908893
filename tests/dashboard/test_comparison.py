"""Period comparison windows and the free date range (golden dates, site time Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard.comparison import change, compare_window, free_range

TZ = ZoneInfo("Asia/Shanghai")


def test_today_so_far_compares_with_yesterday_to_the_same_time_and_a_year_back_keeps_the_weekday() -> None:
    start, now = datetime(2026, 12, 3, tzinfo=TZ), datetime(2026, 12, 3, 15, 30, tzinfo=TZ)  # a Thursday
    assert compare_window(start, now, "previous") == (datetime(2026, 12, 2, tzinfo=TZ),
                                                      datetime(2026, 12, 2, 15, 30, tzinfo=TZ))
    before, _ = compare_window(start, now, "last_year")  # type: ignore[misc]
    assert before == datetime(2025, 12, 4, tzinfo=TZ) and before.weekday() == start.weekday()
    week = compare_window(datetime(2026, 11, 27, tzinfo=TZ), now, "previous")  # 6 days 15.5 h -> 7 days back
    assert week == (datetime(2026, 11, 20, tzinfo=TZ), datetime(2026, 11, 26, 15, 30, tzinfo=TZ))
    assert compare_window(start, now, "none") is None


def test_free_range_covers_whole_local_days_up_to_now() -> None:
    now = datetime(2026, 12, 3, 15, 30, tzinfo=TZ)
    start, end, resolution = free_range("2026-11-01", "2026-11-30", TZ, now)  # type: ignore[misc]
    assert (start, end, resolution) == (datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ), "hour")
    assert free_range("2026-12-01", "2026-12-31", TZ, now)[1] == now  # type: ignore[index]
    assert free_range("2026-12-02", "2026-12-01", TZ, now) is None and free_range(None, "2026-12-01", TZ, now) is None


def test_change_is_relative_and_never_divides_by_zero() -> None:
    assert change(110.0, 100.0) == 0.10000000000000009 and change(5.0, 0.0) is None and change(None, 3.0) is None
