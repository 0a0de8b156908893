"""Reporting periods: ``2026-10`` (month), ``2026-Q3`` (quarter), ``2026`` (year), in the site's local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

_PATTERNS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
)


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # "month" | "quarter" | "year"
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def local_bounds(self, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        return pd.Timestamp(self.start).tz_localize(timezone), pd.Timestamp(self.end).tz_localize(timezone)

    @property
    def year_start(self) -> date:
        return date(self.start.year, 1, 1)


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """Parse a period label; raises ValueError naming the accepted forms."""
    text = text.strip()
    for pattern, kind in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if kind == "month":
            start = date(year, int(m.group(2)), 1)
            return Period(text, kind, start, _add_months(start, 1))
        if kind == "quarter":
            start = date(year, 3 * (int(m.group(2)) - 1) + 1, 1)
            return Period(text, kind, start, _add_months(start, 3))
        return Period(text, kind, date(year, 1, 1), date(year + 1, 1, 1))
    raise ValueError(f"period {text!r} not understood: use YYYY-MM (2026-10), YYYY-Qn (2026-Q3) or YYYY (2026)")


def year_to_date(year: int, end: date) -> Period:
    """1 January to ``end`` (exclusive, e.g. tomorrow): the console's year, whose days still to come are not
    counted as missing data (they are forecast, not gaps)."""
    last = min(end, date(year + 1, 1, 1))
    return Period(f"{year} YTD", "year_to_date", date(year, 1, 1), last)
