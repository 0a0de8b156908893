"""Raw-readings frames: build them from readings, check and normalise them before any store sees them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.errors import StoreError
from models.reading import Quality, Reading
from storage.base import RAW_COLUMNS, ROLLUP_COLUMNS

TS_DTYPE = "datetime64[ns, UTC]"
# Beyond the contract's rollup columns: what counter energy and gap marking need (see storage.rollups).
ROLLUP_ENERGY_COLUMNS = ("first", "increase", "resets", "glitches", "max_gap_s")
ALL_ROLLUP_COLUMNS = (*ROLLUP_COLUMNS, *ROLLUP_ENERGY_COLUMNS)
_QUALITIES = frozenset(q.value for q in Quality)


def readings_frame(readings: Sequence[Reading]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(np.array([r.ts for r in readings], dtype=np.float64), unit="s", utc=True),
            "point_id": pd.array([r.point_id for r in readings], dtype="str"),
            "value": np.array([np.nan if r.value is None else r.value for r in readings], dtype=np.float64),
            "quality": pd.array([str(r.quality) for r in readings], dtype="str"),
        }
    ).astype({"ts": TS_DTYPE})


def empty_raw() -> pd.DataFrame:
    return normalise_raw(pd.DataFrame({c: [] for c in RAW_COLUMNS}))


def empty_rollup() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in ALL_ROLLUP_COLUMNS})
    return frame.astype({"ts": TS_DTYPE, "point_id": "str", "count": "int64", "bad_count": "int64",
                         "resets": "int64", "glitches": "int64"})


def normalise_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """The raw columns with their contract dtypes; later duplicates of (point_id, ts) win.

    Raises StoreError naming what is wrong: a missing column, a naive timestamp, an unknown quality.
    """
    return _normalise(frame, spans=False)[0]


def raw_batch(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`normalise_raw`, and each point's span in it: ``point_id``, ``lo`` (its first timestamp), ``ts``,
    ``value`` and ``quality`` of its newest reading. A store uses the spans to tell whether the batch can
    overlap what it holds, and to update its latest values, without grouping the rows again."""
    out, newest, lo = _normalise(frame, spans=True)
    if newest is None or lo is None:
        return out, pd.DataFrame({"point_id": pd.Series(dtype="str"), "lo": pd.Series(dtype=TS_DTYPE),
                                  "ts": pd.Series(dtype=TS_DTYPE), "value": pd.Series(dtype="float64"),
                                  "quality": pd.Series(dtype="str")})
    spans = out.iloc[newest][["point_id", "ts", "value", "quality"]].reset_index(drop=True)
    spans.insert(1, "lo", pd.to_datetime(lo * 1000, utc=True).astype(TS_DTYPE))
    return out, spans


Spans = tuple[pd.DataFrame, np.ndarray | None, np.ndarray | None]  # rows; each point's newest row and first us


def _normalise(frame: pd.DataFrame, spans: bool) -> Spans:
    out = _typed(frame)
    if out.empty:
        return out.reset_index(drop=True), None, None
    us = out["ts"].to_numpy(dtype="datetime64[ns]").view(np.int64) // 1000
    out = out.reset_index(drop=True)
    runs = point_runs(arrow_column(out["point_id"]), us)
    if runs is not None:  # one run per point, time increasing: no duplicates, spans at the run ends
        starts, ends = runs
        return out, ends - 1, us[starts]
    codes, uniques = pd.factorize(out["point_id"])
    dup = _duplicated(out, codes, uniques, us)
    if dup is not None:
        keep = ~dup
        out, codes, us = out[keep].reset_index(drop=True), codes[keep], us[keep]
    if not spans:
        return out, None, None
    lo = np.full(len(uniques), np.iinfo(np.int64).max)
    hi = np.full(len(uniques), np.iinfo(np.int64).min)
    np.minimum.at(lo, codes, us)
    np.maximum.at(hi, codes, us)
    newest = np.flatnonzero(us == hi[codes])  # one row per point: duplicates are gone
    return out, newest[np.argsort(codes[newest], kind="stable")], lo


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in RAW_COLUMNS if c not in frame.columns]
    if missing:
        raise StoreError(f"readings frame lacks column(s) {missing}; expected {list(RAW_COLUMNS)}")
    ts = frame["ts"]
    if pd.api.types.is_numeric_dtype(ts):
        ts = pd.to_datetime(ts.astype("float64"), unit="s", utc=True)
    elif getattr(ts.dtype, "tz", None) is None and len(ts):
        raise StoreError("readings frame has naive timestamps; localise them (the site's zone) before writing")
    if str(ts.dtype) != TS_DTYPE:  # already UTC nanoseconds (the usual frame): no conversion pass
        ts = pd.to_datetime(ts, utc=True).astype(TS_DTYPE)
    out = pd.DataFrame(
        {
            "ts": _microseconds(ts),
            "point_id": frame["point_id"].astype("str"),
            "value": pd.to_numeric(frame["value"], errors="raise").astype("float64"),
            "quality": frame["quality"].astype("str"),
        }
    )
    check_qualities(arrow_column(out["quality"]))
    return out


def check_qualities(quality: pa.Array) -> None:
    if quality.null_count == 0 and pc.all(pc.equal(quality, "good")).as_py():  # the usual bulk frame: one pass
        return
    unknown = _distinct(quality) - _QUALITIES
    if unknown:
        raise StoreError(f"unknown quality value(s) {sorted(unknown)}; use one of {sorted(_QUALITIES)}")


def _distinct(values: pa.Array) -> set[str]:
    """The distinct strings of a column, looked for only at the heads of its runs of equal neighbours (a quality
    column is long runs of 'good'): comparing neighbours is several times cheaper than hashing every row."""
    if len(values) < 2:
        return {str(v) for v in values.to_pylist()}
    same = pc.equal(values.slice(1), values.slice(0, len(values) - 1)).to_numpy(zero_copy_only=False).astype(bool)
    heads = values.take(pa.array(np.concatenate(([0], np.flatnonzero(~same) + 1))))
    return {str(v) for v in pc.unique(heads).to_pylist()}


def arrow_column(column: pd.Series) -> pa.Array:
    values = pa.array(column)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def point_runs(ids: pa.Array, us: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """First and end row of each point when every point is one contiguous run of rows with strictly increasing
    timestamps (a per-point series or a backfill's day: the common bulk frame), else None. Comparing neighbours
    costs a fifth of factorising the point ids (measured, docs/benchmarks.md storage)."""
    n = len(ids)
    same = pc.equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False).astype(bool)
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
    if len(starts) > n // 2 or not bool(np.all(np.diff(us)[same] > 0)):
        return None
    if pc.count_distinct(ids.take(pa.array(starts))).as_py() != len(starts):  # a point in two runs
        return None
    return starts, np.concatenate((starts[1:], [n]))


def _microseconds(ts: pd.Series) -> pd.Series:
    """Stores keep microseconds (DuckDB TIMESTAMPTZ, InfluxDB precision=u): two readings of one point less
    than a microsecond apart are the same reading."""
    ns = ts.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return pd.Series((ns // 1000 * 1000).view("datetime64[ns]"), index=ts.index).dt.tz_localize("UTC")


def _duplicated(frame: pd.DataFrame, codes: np.ndarray, uniques: pd.Index, us: np.ndarray) -> np.ndarray | None:
    """Rows whose (point_id, ts) comes again later; None when there are none. One int64 key per row when it
    fits (the usual case): hashing ints is several times cheaper than hashing (string, timestamp) pairs, and a
    frame ordered by point then time, or by time then point, is proved free of duplicates in one pass."""
    span = int(us.max()) - int(us.min()) + 1
    if span * len(uniques) >= 2**62:
        dup = frame.duplicated(["point_id", "ts"], keep="last").to_numpy()
        return dup if dup.any() else None
    offset = us - us.min()
    key = codes.astype(np.int64) * span + offset
    if len(key) < 2 or bool(np.all(key[1:] > key[:-1])):
        return None
    by_time = offset * len(uniques) + codes
    if bool(np.all(by_time[1:] > by_time[:-1])):
        return None
    dup = pd.Series(key).duplicated(keep="last").to_numpy()
    return dup if dup.any() else None


def utc(moment: datetime | pd.Timestamp) -> pd.Timestamp:
    """A tz-aware UTC timestamp; naive datetimes are refused (whose zone would they be in?)."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise StoreError(f"naive datetime {moment!r}: pass a tz-aware datetime (e.g. datetime(..., tzinfo=UTC))")
    return stamp.tz_convert(UTC)
