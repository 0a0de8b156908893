"""How much of a result rests on measured data: the share of intervals measured, estimated, or missing (gap).

Every metric in the report carries a :class:`Coverage` of its inputs, so an auditor sees at a glance that a
number built on 3 % gaps is weaker than one built on 100 % measured intervals (research/carbon.md §10.2:
gaps are not zeros).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

QUALITIES = ("measured", "estimated", "gap")


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

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.measured + other.measured, self.estimated + other.estimated, self.gap + other.gap)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"intervals": self.intervals, **asdict(self)}
        for q in QUALITIES:
            out[f"{q}_share"] = self.share(q)
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
