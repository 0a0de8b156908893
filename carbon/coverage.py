"""How much of a result rests on measured data: the share of intervals measured, estimated, or missing (gap).

Every metric in the report carries a :class:`Coverage` of its inputs, so an auditor sees at a glance that a
number built on 3 % gaps is weaker than one built on 100 % measured intervals (research/carbon.md §10.2:
gaps are not zeros).

The coverage *threshold* (``coverage.min_data_share`` in config/carbon.yaml, default 80 %) is on the data share,
measured + estimated: a figure resting on less carries a warning in every format and an entry in the JSON's
``problems[]``. Annual figures over a shorter or incomplete span are annualised by :func:`annualise` over the
days that have data, never over calendar days as if the missing ones were zero.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

QUALITIES = ("measured", "estimated", "gap")
DEFAULT_MIN_DATA_SHARE = 0.80
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class Coverage:
    """Interval counts by quality; shares are derived so combining coverages stays exact."""

    measured: int = 0
    estimated: int = 0
    gap: int = 0

    @property
    def intervals(self) -> int:
        return self.measured + self.estimated + self.gap

    def share(self, quality: str) -> float | None:
        """Share (0-1) of intervals with ``quality``; None when there are no intervals at all."""
        return getattr(self, quality) / self.intervals if self.intervals else None

    @property
    def data_share(self) -> float | None:
        """Share of intervals with data (measured or estimated); None without intervals."""
        return (self.measured + self.estimated) / self.intervals if self.intervals else None

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.measured + other.measured, self.estimated + other.estimated, self.gap + other.gap)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"intervals": self.intervals, **asdict(self)}
        for q in QUALITIES:
            out[f"{q}_share"] = self.share(q)
        out["data_share"] = self.data_share
        return out


def coverage_of(quality: pd.Series) -> Coverage:
    """Count a frame's ``quality`` column ("measured" | "estimated" | "gap"); anything else counts as a gap."""
    counts = quality.astype("string").fillna("gap").value_counts()
    measured = int(counts.get("measured", 0))
    estimated = int(counts.get("estimated", 0))
    return Coverage(measured, estimated, int(len(quality)) - measured - estimated)


def combined(coverages: list[Coverage]) -> Coverage:
    total = Coverage()
    for c in coverages:
        total = total + c
    return total


def below(coverage: dict[str, Any] | None, min_data_share: float) -> bool:
    """True when a coverage dict (``Coverage.to_dict``) rests on less data than the threshold, or on none."""
    share = (coverage or {}).get("data_share")
    return share is None or share < min_data_share


def warning_text(figure: str, coverage: dict[str, Any] | None, min_data_share: float) -> str:
    """The one sentence every format shows for a figure below the threshold."""
    c = coverage or {}
    share = c.get("data_share")
    have = "no data" if share is None else f"data for {share:.1%} of intervals"
    return (f"{figure}: {have} (measured {c.get('measured_share') or 0:.1%}, estimated "
            f"{c.get('estimated_share') or 0:.1%}, missing {c.get('gap_share') or 0:.1%}), below the "
            f"{min_data_share:.0%} coverage threshold: the total is a lower bound and annualised figures are "
            "extrapolated from the covered days")


def annualise(value: float | None, covered_days: float) -> float | None:
    """``value × 365 / covered_days``: a figure over ``covered_days`` days with data, scaled to a year.

    A 31-day month of 310,000 kWh with 100 % data: 310000 × 365 / 31 = 3,650,000 kWh/a; the same month with
    data for half its intervals (15.5 covered days) and 155,000 kWh recorded also gives 3,650,000 kWh/a. None
    when no day has data (nothing to scale)."""
    if value is None or covered_days <= 0:
        return None
    return value * DAYS_PER_YEAR / covered_days
