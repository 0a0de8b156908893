"""How long each resolution is kept. Raw 1-minute data is the bulk (300 points × a year = 158 M rows);
rollups are small and kept for the life of the building's reporting (months and days forever)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Retention:
    """Days to keep per resolution; ``None`` keeps forever."""

    raw_days: int | None = 400  # a full year plus a month: year-on-year audits from raw data
    min15_days: int | None = 3 * 366
    hour_days: int | None = 10 * 366
    day_days: int | None = None
    month_days: int | None = None

    def cutoffs(self, now: pd.Timestamp) -> dict[str, pd.Timestamp]:
        """Per table (``raw``, ``15min``, ``hour``, ``day``, ``month``): delete rows older than this."""
        days = {
            "raw": self.raw_days,
            "15min": self.min15_days,
            "hour": self.hour_days,
            "day": self.day_days,
            "month": self.month_days,
        }
        return {table: now - pd.Timedelta(days=n) for table, n in days.items() if n is not None}
