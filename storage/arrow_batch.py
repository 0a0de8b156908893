"""A raw-readings frame as the Arrow tables DuckDB ingests: the rows, and each point's span.

The general path (:func:`storage.frames.raw_batch`) builds a normalised pandas frame and converts it to
Arrow. A frame that already has the contract's dtypes (tz-aware ``ts`` of any unit, string ``point_id``
and ``quality``, float64 ``value``) and whose points each come as one time-ordered run (a collector's drain, a
backfill day, an import chunk) goes straight to Arrow here instead: the timestamps are truncated to the
microseconds DuckDB stores and handed over as ``timestamp[us]`` (DuckDB then converts nothing), the strings
are the frame's own Arrow buffers, no pandas frame is built. Measured in ``bench/bench_storage.py --ingest``
(docs/benchmarks.md, storage). Anything else takes the general path, with the same checks and errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from storage.frames import arrow_column, check_qualities, point_runs, raw_batch

TS_US = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class ArrowBatch:
    """``rows`` (point_id, ts, value, quality) and ``spans`` (point_id, lo, ts, value, quality: each point's
    first timestamp and newest reading); ``lo`` and ``hi`` bound the batch's time range."""

    rows: pa.Table
    spans: pa.Table
    lo: pd.Timestamp
    hi: pd.Timestamp

    @property
    def num_rows(self) -> int:
        return int(self.rows.num_rows)


def arrow_batch(frame: pd.DataFrame) -> ArrowBatch | None:
    """The frame as Arrow tables, normalised like :func:`storage.frames.normalise_raw`; None when empty.
    Raises StoreError as ``normalise_raw`` does."""
    fast = _direct(frame) if _canonical(frame) else None
    return fast if fast is not None else _via_pandas(frame)


_PER_US = {"ns": (1000, 1), "us": (1, 1), "ms": (1, 1000), "s": (1, 1_000_000)}  # (divide, multiply) to us


def _canonical(frame: pd.DataFrame) -> bool:
    try:
        ts = frame["ts"].dtype
        return (isinstance(ts, pd.DatetimeTZDtype) and ts.unit in _PER_US and frame["value"].dtype == np.float64
                and len(frame) > 1 and all(isinstance(frame[c].dtype, pd.StringDtype) for c in ("point_id", "quality")))
    except KeyError:
        return False  # the general path names the missing column


def _direct(frame: pd.DataFrame) -> ArrowBatch | None:
    ts = frame["ts"]
    raw = ts.to_numpy(dtype=f"datetime64[{ts.dtype.unit}]").view(np.int64)  # epoch-based whatever the zone
    if (raw == np.iinfo(np.int64).min).any():  # NaT: the general path decides
        return None
    divide, multiply = _PER_US[ts.dtype.unit]
    us = raw // divide if divide > 1 else raw * multiply if multiply > 1 else raw
    ids = arrow_column(frame["point_id"])
    runs = point_runs(ids, us)
    if runs is None:
        return None
    quality = arrow_column(frame["quality"])
    check_qualities(quality)
    starts, ends = runs
    values = frame["value"].to_numpy()
    rows = pa.table({"point_id": ids, "ts": pa.array(us, type=TS_US),  # NaN is a missing value (null), as in pandas
                     "value": pa.array(values, from_pandas=bool(np.isnan(values).any())), "quality": quality})
    newest = rows.take(pa.array(ends - 1))
    spans = newest.add_column(1, "lo", pa.array(us[starts], type=TS_US))
    return ArrowBatch(rows, spans, _stamp(int(us[starts].min())), _stamp(int(us[ends - 1].max())))


def _via_pandas(frame: pd.DataFrame) -> ArrowBatch | None:
    batch, spans = raw_batch(frame)
    if batch.empty:
        return None
    return ArrowBatch(pa.Table.from_pandas(batch, preserve_index=False),
                      pa.Table.from_pandas(spans, preserve_index=False), spans["lo"].min(), spans["ts"].max())


def _stamp(us: int) -> pd.Timestamp:
    return pd.Timestamp(us, unit="us", tz="UTC")
