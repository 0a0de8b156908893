"""The embedded store: one DuckDB file in the data directory, no server (what ``make demo`` uses).

DuckDB allows one writing process, so every in-process service shares one :class:`DuckDBStore`; each thread
gets its own cursor and writes are serialised by a lock. Bulk writes go through Arrow (``INSERT ... SELECT``
from a frame: millions of rows per second) and never ``executemany`` (2,200 rows/s, research note §5.1).

Idempotence: a write that could overlap stored data deletes the (point_id, ts) pairs it brings, then inserts
them, in one transaction. The delete is bounded by the batch's time range, so DuckDB's zone maps skip every row
group outside it; that is measured cheaper than a primary-key index, which halves bulk ingest. Most writes
cannot overlap: a collector or a backfill writes each point forward in time. ``latest`` holds every point's
newest stored timestamp, so when each point of the batch starts after it, the delete's join (about a third of
a bulk write, docs/benchmarks.md) is skipped: insert only. A replay of the same batch does overlap and takes
the delete path, so writes stay idempotent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from models.errors import StoreError
from models.reading import Reading
from storage.arrow_batch import arrow_batch
from storage.base import Resolution
from storage.frames import ALL_ROLLUP_COLUMNS, TS_DTYPE, empty_raw, readings_frame, utc
from storage.retention import Retention
from storage.rollup_plan import RollupPlanner

log = logging.getLogger(__name__)

RESOLUTIONS = ("15min", "hour", "day", "month")
SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (point_id VARCHAR, ts TIMESTAMPTZ, value DOUBLE, quality VARCHAR);
CREATE TABLE IF NOT EXISTS latest (point_id VARCHAR PRIMARY KEY, ts TIMESTAMPTZ, value DOUBLE, quality VARCHAR);
CREATE SEQUENCE IF NOT EXISTS pending_seq;
CREATE TABLE IF NOT EXISTS rollup_pending (id BIGINT DEFAULT nextval('pending_seq'), lo TIMESTAMPTZ, hi TIMESTAMPTZ);
""" + "".join(
    f"""CREATE TABLE IF NOT EXISTS rollup_{r} (ts TIMESTAMPTZ, point_id VARCHAR, mean DOUBLE, min DOUBLE,
    max DOUBLE, last DOUBLE, count BIGINT, bad_count BIGINT, first DOUBLE, increase DOUBLE, resets BIGINT,
    glitches BIGINT, max_gap_s DOUBLE);
"""
    for r in RESOLUTIONS
)
_OVERLAPS = "SELECT count(*) FROM batch_points b JOIN latest l USING (point_id) WHERE b.lo <= l.ts"
_MERGE_LATEST = """
INSERT INTO latest SELECT point_id, ts, value, quality FROM batch_points
ON CONFLICT (point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, quality = excluded.quality
WHERE excluded.ts >= latest.ts
"""


class DuckDBStore:
    """Store readings and rollups in one DuckDB file (``":memory:"`` for a throwaway store)."""

    def __init__(
        self,
        path: str | Path,
        timezone: str = "Asia/Shanghai",
        retention: Retention | None = None,
        rollovers: Mapping[str, float] | None = None,
        counters: Collection[str] | None = None,
    ) -> None:
        """``rollovers``: wrap value of each counter register; ``counters``: the energy counter points (only
        they get counter rollups; None: judged by shape). See zerocarbon.store_wiring.open_store."""
        self.path = str(path)
        self.timezone = timezone
        self.retention = retention or Retention()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path)
        except duckdb.IOException as exc:
            raise StoreError(
                f"cannot open DuckDB file {self.path}: {exc}. Only one process may write it; run the other "
                "services in the same process (zerocarbon run) or use ZEROCARBON_STORE=influxdb"
            ) from None
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute(SCHEMA)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        # a rollup rebuild (minutes for a backfilled year) holds only this lock, so collectors keep writing
        self._rollup_lock = threading.Lock()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._planner = RollupPlanner(timezone, rollovers, counters)
        self.overlapping_writes = 0  # writes that took the delete-then-insert path (the rest only inserted)

    # -- writing ---------------------------------------------------------------------------------------
    def write(self, readings: Sequence[Reading]) -> None:
        if readings:
            self.write_frame(readings_frame(readings))

    def write_frame(self, frame: pd.DataFrame) -> int:
        batch = arrow_batch(frame)  # rows and each point's span, as Arrow: DuckDB scans Arrow without copying
        if batch is None:
            return 0
        with self._write_lock:
            cur = self._cursor()
            cur.register("batch", batch.rows)
            cur.register("batch_points", batch.spans)
            try:
                cur.execute("BEGIN TRANSACTION")
                if self._overlaps(cur):
                    cur.execute(
                        "DELETE FROM readings USING batch WHERE readings.ts BETWEEN ? AND ? "
                        "AND readings.point_id = batch.point_id AND readings.ts = batch.ts",
                        [batch.lo, batch.hi],
                    )
                cur.execute("INSERT INTO readings SELECT point_id, ts, value, quality FROM batch")
                cur.execute(_MERGE_LATEST)
                cur.execute("INSERT INTO rollup_pending (lo, hi) VALUES (?, ?)", [batch.lo, batch.hi])
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(cur)
                raise StoreError(f"DuckDB {self.path}: write of {batch.num_rows} readings failed: {exc}") from exc
            finally:
                cur.unregister("batch")
                cur.unregister("batch_points")
        return batch.num_rows

    def _overlaps(self, cur: duckdb.DuckDBPyConnection) -> bool:
        """Whether some point of the batch starts at or before its newest stored reading (then the batch may
        bring (point_id, ts) pairs that are stored already, and the write must replace them)."""
        row = cur.execute(_OVERLAPS).fetchone()
        self.overlapping_writes += bool(row and row[0])
        return bool(row and row[0])

    # -- reading ---------------------------------------------------------------------------------------
    def read(
        self, point_ids: Sequence[str], start: datetime, end: datetime, resolution: Resolution = "raw"
    ) -> pd.DataFrame:
        if resolution == "raw":
            return self._read_raw(list(point_ids), utc(start), utc(end))
        if resolution not in RESOLUTIONS:
            raise StoreError(f"unknown resolution {resolution!r}; use raw, {', '.join(RESOLUTIONS)}")
        columns = ", ".join(f'"{c}"' for c in ALL_ROLLUP_COLUMNS)
        sql = (
            f"SELECT {columns} FROM rollup_{resolution} WHERE point_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND ts >= ? AND ts < ? ORDER BY point_id, ts"
        )
        frame = self._cursor().execute(sql, [list(point_ids), utc(start), utc(end)]).df()
        return frame.astype({"ts": TS_DTYPE, "point_id": "str"})

    def _read_raw(self, point_ids: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        sql = (
            "SELECT ts, point_id, value, quality FROM readings WHERE point_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND ts >= ? AND ts < ? ORDER BY point_id, ts"
        )
        frame = self._cursor().execute(sql, [point_ids, start, end]).df()
        return _typed_raw(frame)

    def read_context(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Every point's raw readings in ``[start, end)`` (rollup building)."""
        sql = "SELECT ts, point_id, value, quality FROM readings WHERE ts >= ? AND ts < ?"
        table = self._cursor().sql(sql, params=[start, end]).to_arrow_table()
        if table.num_rows == 0:
            return empty_raw()
        frame = table.to_pandas(types_mapper=_arrow_strings)
        return frame.astype({"ts": TS_DTYPE})

    def previous_good(self, before: pd.Timestamp, lookback_days: int = 35) -> pd.DataFrame:
        """The last good reading of each point before ``before`` (the first increment of a rollup chunk)."""
        sql = (
            "SELECT arg_max(ts, ts) AS ts, point_id, arg_max(value, ts) AS value, 'good' AS quality FROM readings "
            "WHERE ts < ? AND ts >= ? AND quality = 'good' AND value IS NOT NULL GROUP BY point_id"
        )
        frame = self._cursor().execute(sql, [before, before - pd.Timedelta(days=lookback_days)]).df()
        return _typed_raw(frame)

    def latest(self, point_ids: Sequence[str] | None = None) -> pd.DataFrame:
        sql = "SELECT ts, point_id, value, quality FROM latest"
        params: list[object] = []
        if point_ids is not None:
            sql += " WHERE point_id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(point_ids))
        return _typed_raw(self._cursor().execute(sql + " ORDER BY point_id", params).df())

    def point_ids(self) -> list[str]:
        """Every point with a latest reading."""
        return [row[0] for row in self._cursor().execute("SELECT point_id FROM latest ORDER BY 1").fetchall()]

    # -- rollups ---------------------------------------------------------------------------------------
    def update_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        with self._rollup_lock:
            seen, pending = self._pending()
            if start is None and end is None:
                ranges, covered, bounds = pending, "", []
            else:  # an explicit range also settles the pending writes inside it (a backfill's own ranges)
                lo, hi = utc(start or end), utc(end or start)
                ranges, covered, bounds = [(lo, hi)], " AND lo >= ? AND hi <= ?", [lo, hi]
            self._planner.rebuild(self, ranges)
            if seen is not None:  # only what was pending before the rebuild read the raw data
                with self._write_lock:
                    sql = f"DELETE FROM rollup_pending WHERE id <= ?{covered}"
                    self._cursor().execute(sql, [seen, *bounds])

    def _pending(self) -> tuple[int | None, list[tuple[pd.Timestamp, pd.Timestamp]]]:
        rows = self._cursor().execute("SELECT id, lo, hi FROM rollup_pending ORDER BY id").fetchall()
        if not rows:
            return None, []
        return rows[-1][0], [(pd.Timestamp(lo), pd.Timestamp(hi)) for _, lo, hi in rows]

    def replace_rollups(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp, rows: pd.DataFrame) -> None:
        """Swap the rollups of ``[lo, hi)`` of the points in ``rows`` for ``rows``, in one transaction. Points
        without fresh rows keep theirs: their raw data may be gone (retention) while their rollups are kept."""
        if rows.empty:
            return
        cur = self._cursor()
        cur.register("fresh", rows[list(ALL_ROLLUP_COLUMNS)])
        self._write_lock.acquire()
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(
                f"DELETE FROM rollup_{resolution} WHERE ts >= ? AND ts < ? "
                "AND point_id IN (SELECT DISTINCT point_id FROM fresh)",
                [lo, hi],
            )
            columns = ", ".join(f'"{c}"' for c in ALL_ROLLUP_COLUMNS)
            cur.execute(f"INSERT INTO rollup_{resolution} ({columns}) SELECT {columns} FROM fresh")
            cur.execute("COMMIT")
        except duckdb.Error:
            _rollback(cur)
            raise
        finally:
            self._write_lock.release()
            cur.unregister("fresh")

    def read_rollups_all(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        columns = ", ".join(f'"{c}"' for c in ALL_ROLLUP_COLUMNS)
        sql = f"SELECT {columns} FROM rollup_{resolution} WHERE ts >= ? AND ts < ? ORDER BY point_id, ts"
        return self._cursor().execute(sql, [lo, hi]).df().astype({"ts": TS_DTYPE, "point_id": "str"})

    def apply_retention(self, now: datetime) -> dict[str, int]:
        """Delete rows older than the retention of each resolution; returns rows deleted per table."""
        deleted: dict[str, int] = {}
        with self._write_lock:
            for table, keep in self.retention.cutoffs(utc(now)).items():
                name = "readings" if table == "raw" else f"rollup_{table}"
                row = self._cursor().execute(f"DELETE FROM {name} WHERE ts < ?", [keep]).fetchone()
                deleted[table] = int(row[0]) if row else 0
        return deleted

    # -- housekeeping ----------------------------------------------------------------------------------
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
            self._cursors.append(cur)
        return cur

    def close(self) -> None:
        """Close every thread's cursor, then the connection. A reader still busy (a console snapshot at shutdown)
        is interrupted first: DuckDB refuses to close a busy cursor rather than wait for it."""
        for cur in self._cursors:
            cur.interrupt()
        for cur in self._cursors:
            _close_when_idle(cur)
        self._cursors.clear()
        _close_when_idle(self._con)


def _close_when_idle(con: duckdb.DuckDBPyConnection, wait_s: float = 5.0) -> None:
    """Close once the interrupted call has unwound; past ``wait_s`` the handle is left to the process's exit."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con.close()
            return
        except duckdb.ResourceInUseException:
            if time.monotonic() > deadline:
                log.warning("duckdb: a connection was still busy %.0f s after an interrupt; left open", wait_s)
                return
            con.interrupt()
            time.sleep(0.02)


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back; a transaction DuckDB already aborted has nothing left to undo."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _arrow_strings(arrow_type: pa.DataType) -> object:
    """Keep strings in Arrow (pandas' ``str``): no Python objects for 10^6 point ids."""
    return pd.StringDtype("pyarrow", na_value=float("nan")) if pa.types.is_string(arrow_type) else None


def _typed_raw(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return empty_raw()
    return frame.astype({"ts": TS_DTYPE, "point_id": "str", "value": "float64", "quality": "str"})[
        ["ts", "point_id", "value", "quality"]
    ]
