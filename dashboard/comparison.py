"""Period comparison: the same span one period earlier (against yesterday, last week, last month) or a year
earlier, and a free date range, for the pages that show energy over a period.

A year earlier is 364 days back (52 whole weeks), so a Monday is compared with a Monday: weekday and weekend
use differ by a factor of three in this building, more than most year-on-year changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.context import Console
from dashboard.periods import resolution_for, snapshot_ttl_s, window
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


@dataclass(frozen=True)
class PeriodChoice:
    """What a period page's header says: a preset, a comparison and an optional free range (which wins)."""

    preset: str = "day"
    compare: str = "none"
    first: str | None = None
    last: str | None = None

    @classmethod
    def of(cls, preset: str | None, compare: str | None, first: str | None = None,
           last: str | None = None) -> PeriodChoice:
        """From the header's inputs; an unknown comparison (a forged request) is no comparison."""
        return cls(preset or "day", compare if compare in COMPARE else "none", first, last)

    @property
    def key(self) -> str:
        """The snapshot key: viewers of the same choice share one computation."""
        return f"{self.preset}|{self.compare}|{self.first}|{self.last}"

    @property
    def ttl_s(self) -> float | None:
        """A free range is days of history that barely move: shared like a long preset."""
        return snapshot_ttl_s(self.preset if (self.first, self.last) == (None, None) else "year")

    def span(self, console: Console) -> tuple[datetime, datetime, Resolution]:
        chosen = free_range(self.first, self.last, console.timezone, console.now())
        return chosen or window(self.preset, console.now(), console.local_midnight())

    def earlier(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        return compare_window(start, end, self.compare)


def site_today(console: Console) -> date:
    """The site's local date now: the last day a range picker offers."""
    return console.now().astimezone(console.timezone).date()
