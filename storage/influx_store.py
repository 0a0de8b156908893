"""The InfluxDB store: line protocol POSTed to ``/write``, InfluxQL through ``/query`` (CSV back), over httpx
keep-alive. The v1 HTTP API is served by InfluxDB 1.x, by 2.x through its v1-compatible endpoints (the
token as password) and by 3.x; it is what CI runs against Debian's influxd 1.6.7. The v2 client gets 404
from 1.6.7 (research note §2.3), so it is not used.

Schema (docs/storage.md): measurement ``reading``, tags ``device, point, role, site, subsystem``, fields
``value`` (float, left out when the reading has none) and ``quality`` (string); rollups in ``rollup_15min``,
``rollup_hour``, ``rollup_day``, ``rollup_month`` with the same tags. Rollups are computed in pandas by the
same code as DuckDB's (:mod:`storage.rollups`); months come from daily rollups, as InfluxQL 1.x has no
calendar month. Ranges written but not yet rolled up are kept in InfluxDB itself (``rollup_pending``), so a
collector in one process and the rollup job in another work together.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

import httpx
import pandas as pd

from models.errors import StoreError, StoreUnavailable
from models.reading import Reading
from storage.base import Resolution
from storage.frames import ALL_ROLLUP_COLUMNS, TS_DTYPE, empty_raw, empty_rollup, normalise_raw, readings_frame, utc
from storage.line_protocol import batches, raw_lines, rollup_lines, series_key
from storage.retention import Retention
from storage.rollup_plan import RollupPlanner

RAW = "reading"
RESOLUTIONS = ("15min", "hour", "day", "month")
BATCH_LINES = 5000  # measured best batch size against influxd 1.6.7 (research note §2.4)
PIPELINE_BATCHES = 10  # bulk writes are built and posted in chunks of this many batches, overlapped


def _ns(ts: pd.Timestamp) -> int:
    return int(ts.value)


class InfluxStore:
    """Store readings and rollups in an InfluxDB database over the v1 HTTP API."""

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timezone: str = "Asia/Shanghai",
        *,
        point_tags: Mapping[str, Mapping[str, str]] | None = None,
        retention: Retention | None = None,
        rollovers: Mapping[str, float] | None = None,
        counters: Collection[str] | None = None,
        batch_lines: int = BATCH_LINES,
        timeout_s: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.timezone = timezone
        self.retention = retention or Retention()
        self.batch_lines = batch_lines
        self._point_tags = dict(point_tags or {})
        self._keys: dict[str, dict[str, str]] = {}
        self._lock = threading.RLock()
        self._last_pending_us = 0
        auth = (username, password or "") if username else None
        self._http = httpx.Client(
            base_url=self.url, auth=auth, timeout=timeout_s, limits=httpx.Limits(max_keepalive_connections=8)
        )
        self._planner = RollupPlanner(timezone, rollovers, counters)
        try:
            self._create_database()
        except StoreUnavailable:
            pass  # not up yet: the first write creates it (the spool holds readings meanwhile)

    # -- HTTP ------------------------------------------------------------------------------------------
    def _post(self, path: str, **kwargs: object) -> httpx.Response:
        try:
            return self._http.post(path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"InfluxDB at {self.url} did not answer ({type(exc).__name__}: {exc}); is influxd running? "
                "readings stay in the spool until it is back"
            ) from exc

    def _create_database(self) -> None:
        # refused under InfluxDB 2.x v1-compat (databases are buckets made by an admin): then it must exist
        self._query(f'CREATE DATABASE "{self.database}"', write=True, allow_refused=True)

    def _write_lines(self, payload: bytes) -> None:
        r = self._post("/write", params={"db": self.database, "precision": "u"}, content=payload)
        if r.status_code == 404 and "database not found" in r.text:
            self._create_database()
            r = self._post("/write", params={"db": self.database, "precision": "u"}, content=payload)
        if r.status_code != 204:
            raise StoreError(f"InfluxDB {self.url} db {self.database!r} refused a write ({r.status_code}): {r.text}")

    def _query(self, q: str, *, write: bool = False, allow_refused: bool = False) -> pd.DataFrame:
        data = {"q": q, "db": self.database, "epoch": "u"}
        r = self._post("/query", data=data, headers={"Accept": "application/csv"})
        if r.status_code != 200:
            if allow_refused:
                return pd.DataFrame()
            where = f"InfluxDB {self.url} db {self.database!r}"
            raise StoreError(f"{where} refused {q[:200]!r} ({r.status_code}): {r.text}")
        if write or not r.text.strip():
            return pd.DataFrame()
        return pd.read_csv(io.StringIO(r.text), dtype={"point": "str", "quality": "str"}, keep_default_na=False,
                           na_values={"value": [""], "mean": [""], "min": [""], "max": [""], "first": [""],
                                      "last": [""], "increase": [""], "max_gap_s": [""]})

    # -- writing ---------------------------------------------------------------------------------------
    def _series_keys(self, measurement: str, point_ids: Sequence[str]) -> dict[str, str]:
        keys = self._keys.setdefault(measurement, {})
        for pid in point_ids:
            if pid not in keys:
                keys[pid] = series_key(measurement, pid, self._point_tags.get(pid, {}))
        return keys

    def write(self, readings: Sequence[Reading]) -> None:
        if readings:
            self.write_frame(readings_frame(readings))

    def write_frame(self, frame: pd.DataFrame) -> int:
        batch = normalise_raw(frame)
        if batch.empty:
            return 0
        keys = self._series_keys(RAW, batch["point_id"].unique().tolist())
        chunk = self.batch_lines * PIPELINE_BATCHES
        if len(batch) <= chunk:
            self._write_all(list(batches(raw_lines(batch, keys), self.batch_lines)))
        else:
            self._write_pipelined(batch, keys, chunk)
        self._note_pending(batch["ts"].min(), batch["ts"].max())
        return len(batch)

    def _write_all(self, payloads: list[bytes]) -> None:
        for payload in payloads:
            self._write_lines(payload)

    def _write_pipelined(self, batch: pd.DataFrame, keys: Mapping[str, str], chunk: int) -> None:
        """Build the next chunk's lines while the previous chunk is being posted: building costs about a
        quarter of what influxd takes to ingest, and overlapping hides it (bench/bench_storage.py)."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="influx-post") as poster:
            posting: Future[None] | None = None
            for start in range(0, len(batch), chunk):
                payloads = list(batches(raw_lines(batch.iloc[start : start + chunk], keys), self.batch_lines))
                if posting is not None:
                    posting.result()
                posting = poster.submit(self._write_all, payloads)
            if posting is not None:
                posting.result()

    def _note_pending(self, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
        with self._lock:  # one series: equal timestamps would overwrite each other
            now_us = max(time.time_ns() // 1000, self._last_pending_us + 1)
            self._last_pending_us = now_us
        self._write_lines(f"rollup_pending lo={_ns(lo)}i,hi={_ns(hi)}i {now_us}".encode())

    # -- reading ---------------------------------------------------------------------------------------
    @staticmethod
    def _points_clause(point_ids: Sequence[str]) -> str:
        quoted = [pid.replace("\\", "\\\\").replace("'", "\\'") for pid in point_ids]
        return "(" + " OR ".join(f"\"point\" = '{q}'" for q in quoted) + ")"

    @staticmethod
    def _time_clause(start: pd.Timestamp, end: pd.Timestamp) -> str:
        return f"time >= {_ns(start)} AND time < {_ns(end)}"

    def read(
        self, point_ids: Sequence[str], start: datetime, end: datetime, resolution: Resolution = "raw"
    ) -> pd.DataFrame:
        if not point_ids:
            return empty_raw() if resolution == "raw" else empty_rollup()
        where = f"{self._points_clause(point_ids)} AND {self._time_clause(utc(start), utc(end))}"
        if resolution == "raw":
            return self._raw(f'SELECT "value", "quality", "point" FROM "{RAW}" WHERE {where}')
        if resolution not in RESOLUTIONS:
            raise StoreError(f"unknown resolution {resolution!r}; use raw, {', '.join(RESOLUTIONS)}")
        return self._rollups(resolution, where)

    def _raw(self, q: str) -> pd.DataFrame:
        frame = self._query(q)
        if frame.empty:
            return empty_raw()
        return self._raw_from(frame, order=["point_id", "ts"])

    def _rollups(self, resolution: str, where: str) -> pd.DataFrame:
        fields = ", ".join(f'"{c}"' for c in ALL_ROLLUP_COLUMNS if c not in ("ts", "point_id"))
        frame = self._query(f'SELECT {fields}, "point" FROM "rollup_{resolution}" WHERE {where}')
        if frame.empty:
            return empty_rollup()
        frame["ts"] = pd.to_datetime(frame["time"], unit="us", utc=True).astype(TS_DTYPE)
        frame["point_id"] = frame["point"].astype("str")
        out = frame[list(ALL_ROLLUP_COLUMNS)].astype(empty_rollup().dtypes.to_dict())
        return out.sort_values(["point_id", "ts"], kind="stable").reset_index(drop=True)

    def latest(self, point_ids: Sequence[str] | None = None) -> pd.DataFrame:
        where = f"WHERE {self._points_clause(point_ids)} " if point_ids else ""
        if point_ids is not None and not point_ids:
            return empty_raw()
        q = f'SELECT "value", "quality" FROM "{RAW}" {where}GROUP BY "point" ORDER BY time DESC LIMIT 1'
        frame = self._query(q)
        if frame.empty:
            return empty_raw()
        frame["point"] = frame["tags"].str.removeprefix("point=")
        return self._raw_from(frame)

    def _raw_from(self, frame: pd.DataFrame, order: str | list[str] = "point_id") -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "ts": pd.to_datetime(frame["time"], unit="us", utc=True).astype(TS_DTYPE),
                "point_id": frame["point"].astype("str"),
                "value": pd.to_numeric(frame["value"]).astype("float64"),
                "quality": frame["quality"].astype("str"),
            }
        )
        return out.sort_values(order, kind="stable").reset_index(drop=True)

    def read_context(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        return self._raw(f'SELECT "value", "quality", "point" FROM "{RAW}" WHERE {self._time_clause(start, end)}')

    def previous_good(self, before: pd.Timestamp, lookback_days: int = 35) -> pd.DataFrame:
        since = before - pd.Timedelta(days=lookback_days)
        q = (
            f'SELECT last("value") AS "value" FROM "{RAW}" WHERE "quality" = \'good\' AND '
            f'{self._time_clause(since, before)} GROUP BY "point"'
        )
        frame = self._query(q)
        if frame.empty:
            return empty_raw()
        frame["point"] = frame["tags"].str.removeprefix("point=")
        frame["quality"] = "good"
        return self._raw_from(frame)

    # -- rollups ---------------------------------------------------------------------------------------
    def update_rollups(self, start: datetime | None = None, end: datetime | None = None) -> None:
        with self._lock:
            seen, pending = self._pending()
            if start is None and end is None:
                self._planner.rebuild(self, pending)
                if seen is not None:
                    self._query(f'DELETE FROM "rollup_pending" WHERE time <= {seen}', write=True)
                return
            lo, hi = utc(start or end), utc(end or start)
            before = self._query('SELECT "lo", "hi" FROM "rollup_pending"')
            self._planner.rebuild(self, [(lo, hi)])
            self._settle_pending_within(lo, hi, before)

    def _settle_pending_within(self, lo: pd.Timestamp, hi: pd.Timestamp, frame: pd.DataFrame) -> None:
        """Drop the pending ranges (read before the rebuild) that an explicit rebuild covered. InfluxQL deletes
        by time and tags, not by field values, so each is deleted by its own timestamp."""
        if frame.empty:
            return
        inside = frame[(frame["lo"] >= lo.value) & (frame["hi"] <= hi.value)]
        statements = [f'DELETE FROM "rollup_pending" WHERE time >= {t * 1000} AND time <= {t * 1000}'
                      for t in inside["time"].astype("int64")]
        for start in range(0, len(statements), 100):
            self._query("; ".join(statements[start : start + 100]), write=True)

    def _pending(self) -> tuple[int | None, list[tuple[pd.Timestamp, pd.Timestamp]]]:
        frame = self._query('SELECT "lo", "hi" FROM "rollup_pending"')
        if frame.empty:
            return None, []
        ranges = [(pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC")) for lo, hi in zip(frame["lo"],
                                                                                             frame["hi"], strict=True)]
        return int(frame["time"].max()) * 1000, ranges

    def replace_rollups(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp, rows: pd.DataFrame) -> None:
        """Swap the rollups of ``[lo, hi)`` of the points in ``rows`` (see DuckDBStore.replace_rollups). The
        delete matters where a field is gone (a bucket left with bad readings only has no ``mean``): InfluxDB
        would otherwise keep the old field beside the new ones."""
        if rows.empty:
            return
        measurement = f"rollup_{resolution}"
        points = rows["point_id"].unique().tolist()
        for start in range(0, len(points), 200):
            where = f"{self._points_clause(points[start : start + 200])} AND {self._time_clause(lo, hi)}"
            self._query(f'DELETE FROM "{measurement}" WHERE {where}', write=True)
        keys = self._series_keys(measurement, points)
        for payload in batches(rollup_lines(rows, keys), self.batch_lines):
            self._write_lines(payload)

    def read_rollups_all(self, resolution: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        return self._rollups(resolution, self._time_clause(lo, hi))

    def apply_retention(self, now: datetime) -> dict[str, int]:
        """Delete data older than each resolution's retention (InfluxDB does not report counts: -1)."""
        done: dict[str, int] = {}
        for table, keep in self.retention.cutoffs(utc(now)).items():
            measurement = RAW if table == "raw" else f"rollup_{table}"
            self._query(f'DELETE FROM "{measurement}" WHERE time < {_ns(keep)}', write=True)
            done[table] = -1
        return done

    def close(self) -> None:
        self._http.close()
