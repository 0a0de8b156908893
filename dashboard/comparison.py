"""Period comparison: the same span one period earlier (against yesterday, last week, last month) or a year
earlier, and a free date range, for the pages that show energy over a period.

A year earlier is 364 days back (52 whole weeks), so a Monday is compared with a Monday: weekday and weekend
use differ by a factor of three in this building, more than most year-on-year changes.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.periods import resolution_for
from storage.base import Resolution

COMPARE = ("none", "previous", "last_year")
YEAR_BACK = timedelta(days=364)


def compare_window(start: datetime, end: datetime, compare: str) -> tuple[datetime, datetime] | None:
    """The span to compare ``[start, end)`` with: shifted back by its own length in whole days ("previous";
    today so far is compared with yesterday up to the same time) or by 52 weeks ("last_year")."""
    if compare == "previous":
        shift = timedelta(days=max(1, math.ceil((end - start) / timedelta(days=1))))
    elif compare == "last_year":
        shift = YEAR_BACK
    else:
        return None
    return start - shift, end - shift


def free_range(first: str | None, last: str | None, timezone: ZoneInfo,
               now: datetime) -> tuple[datetime, datetime, Resolution] | None:
    """A date-picker range (local dates, both included) as ``(start, end, resolution)``, ending no later than
    now; None until both dates are chosen or when they are reversed."""
    if not first or not last:
        return None
    d0, d1 = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    if d1 < d0:
        return None
    start = datetime(d0.year, d0.month, d0.day, tzinfo=timezone)
    end = min(datetime(d1.year, d1.month, d1.day, tzinfo=timezone) + timedelta(days=1), now.astimezone(timezone))
    if end <= start:
        return None
    return start, end, resolution_for(end - start)


def change(now_kwh: float | None, before_kwh: float | None) -> float | None:
    """Relative change, None when the earlier period has nothing to compare with (never a division by 0)."""
    if now_kwh is None or not before_kwh:
        return None
    return now_kwh / before_kwh - 1.0
