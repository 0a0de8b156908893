"""The store contract: one interface, two backends (DuckDB embedded, InfluxDB v1 HTTP), one contract test suite.

Frames exchanged with stores (pandas):

- raw readings: columns ``ts`` (datetime64[ns, UTC]), ``point_id`` (str), ``value`` (float64, NaN where the
  reading had no value), ``quality`` (str, a :class:`models.reading.Quality` value).
- rollups (``resolution`` in ``15min``, ``hour``, ``day``, ``month``): ``ts`` (interval start, UTC; days and
  months start at local midnight in the site's time zone), ``point_id``, ``mean``, ``min``, ``max``, ``last``,
  ``count`` (good readings), ``bad_count``; both stores add ``first``, ``increase`` (counter energy in the
  point's unit, resets and glitches handled), ``resets``, ``glitches`` and ``max_gap_s``
  (:data:`storage.frames.ROLLUP_ENERGY_COLUMNS`, docs/storage.md).
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


class Store(Protocol):
    def write(self, readings: Sequence[Reading]) -> None:
        """Durably store readings; idempotent on (point_id, ts). Raises StoreError/StoreUnavailable."""

    def write_frame(self, frame: pd.DataFrame) -> int:
        """Bulk write a raw-readings frame (backfill, import). Idempotent like :meth:`write`. Returns rows."""

    def read(
        self, point_ids: Sequence[str], start: datetime, end: datetime, resolution: Resolution = "raw"
    ) -> pd.DataFrame:
        """Readings or rollups of ``point_ids`` in ``[start, end)``, sorted by point_id then ts."""

    def latest(self, point_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The newest raw reading of each point (all points when None): the raw-readings columns."""

    def update_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        """(Re)build rollups for the range touched by new, late or backfilled data (all pending when None)."""

    def close(self) -> None: ...
