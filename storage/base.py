"""The store contract: one interface, two backends (DuckDB embedded, InfluxDB v1 HTTP), one contract test suite.

Frames exchanged with stores (pandas):

- raw readings: columns ``ts`` (datetime64[ns, UTC]), ``point_id`` (str), ``value`` (float64, NaN where the
  reading had no value), ``quality`` (str, a :class:`models.reading.Quality` value).
- rollups (``resolution`` in ``15min``, ``hour``, ``day``, ``month``): ``ts`` (interval start, UTC; days and
  months start at local midnight in the site's time zone), ``point_id``, ``mean``, ``min``, ``max``, ``last``,
  ``count`` (good readings), ``bad_count``; both stores add ``first``, ``increase`` (counter energy in the
  point's unit, resets and glitches handled), ``resets``, ``glitches`` and ``max_gap_s``
  (:data:`storage.frames.ROLLUP_ENERGY_COLUMNS`, docs/storage.md).

The rollup methods are split by who calls them, so a caller names only what it uses and any store (or a test's
own) that offers those methods will do: :class:`RollupReader` (carbon/, the console, energy and exports),
:class:`RollupMaintainer` (the scheduled job), :class:`RollupHost` (the rebuild planner inside a store).
:class:`Store` is all of it plus writing. ``storage/conformance.py`` has mypy prove both stores satisfy each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

import pandas as pd

from models.reading import Reading

Resolution = Literal["raw", "15min", "hour", "day", "month"]
RAW_COLUMNS = ("ts", "point_id", "value", "quality")
ROLLUP_COLUMNS = ("ts", "point_id", "mean", "min", "max", "last", "count", "bad_count")


class RollupReader(Protocol):
    """Rollups on demand: bring them current, then read them (carbon/, the console, energy, exports)."""

    def update_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        """(Re)build rollups for the range touched by new, late or backfilled data (all pending when None)."""

    def read(
        self, point_ids: Sequence[str], start: datetime, end: datetime, resolution: Resolution = "raw"
    ) -> pd.DataFrame:
        """Readings or rollups of ``point_ids`` in ``[start, end)``, sorted by point_id then ts."""


class RollupMaintainer(Protocol):
    """What the scheduled job (storage/jobs.py) asks: current rollups, then data past retention deleted."""

    def update_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None: ...

    def apply_retention(self, now: datetime) -> dict[str, int]:
        """Delete what is older than each resolution's retention; rows deleted per resolution."""


class RollupHost(Protocol):
    """What a store offers its rollup planner (storage/rollup_plan.py) to rebuild rollups from raw data."""

    def read_context(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame: ...

    def previous_good(self, before: pd.Timestamp, lookback_days: int = 35) -> pd.DataFrame: ...

    def replace_rollups(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp, rows: pd.DataFrame) -> None: ...

    def read_rollups_all(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame: ...


class Store(RollupReader, RollupMaintainer, Protocol):
    def write(self, readings: Sequence[Reading]) -> None:
        """Durably store readings; idempotent on (point_id, ts). Raises StoreError/StoreUnavailable."""

    def write_frame(self, frame: pd.DataFrame) -> int:
        """Bulk write a raw-readings frame (backfill, import). Idempotent like :meth:`write`. Returns rows."""

    def latest(self, point_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The newest raw reading of each point (all points when None): the raw-readings columns."""

    def close(self) -> None: ...
