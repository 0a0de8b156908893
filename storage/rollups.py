"""Rollups: 1-minute raw readings into 15-minute, hourly and daily aggregates; months from days.

Pure pandas, shared by both stores so DuckDB and InfluxDB give the same numbers. Buckets are cut in the
site's local time (a day in Zhuhai starts at 00:00 Asia/Shanghai = 16:00 UTC), and months are built from
daily rollups, because InfluxQL 1.x has no calendar month (``GROUP BY time(1mo)`` is rejected).

Beside the contract's ``mean, min, max, last, count, bad_count`` each row carries ``first``, ``increase``
(counter rise with resets and glitches handled, see :mod:`storage.counters`; meaningless for gauges),
``resets``, ``glitches`` and ``max_gap_s`` (the longest stretch of the bucket without a good reading).
An increment belongs to the bucket of the reading that observed it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from storage.counters import GLITCH, RESET, counter_steps
from storage.frames import ALL_ROLLUP_COLUMNS, TS_DTYPE, empty_rollup

FREQ = {"15min": "15min", "hour": "1h", "day": "1D"}


def bucket_start(ts: pd.Series, resolution: str, timezone: str) -> pd.Series:
    """Start (UTC) of the local-time bucket holding each timestamp."""
    local = ts.dt.tz_convert(timezone).dt.tz_localize(None)
    if resolution == "month":
        floored = local.dt.to_period("M").dt.start_time
    else:
        floored = local.dt.floor(FREQ[resolution])
    return floored.dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward").dt.tz_convert("UTC")


def bucket_end(start: pd.Series, resolution: str, timezone: str) -> pd.Series:
    local = start.dt.tz_convert(timezone).dt.tz_localize(None)
    step = pd.DateOffset(months=1) if resolution == "month" else pd.Timedelta(FREQ[resolution])
    return (local + step).dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward").dt.tz_convert("UTC")


def rollup(raw: pd.DataFrame, resolution: str, timezone: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Aggregates of the buckets starting in ``[lo, hi)``. ``raw`` may hold context readings on either side
    (they give the first increment and judge dips at the edges) and must be one store's raw frame."""
    return rollup_many(raw, (resolution,), timezone, lo, hi)[resolution]


def rollup_many(
    raw: pd.DataFrame, resolutions: tuple[str, ...], timezone: str, lo: pd.Timestamp, hi: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """:func:`rollup` for several resolutions, judging each counter reading once."""
    if raw.empty:
        return {r: empty_rollup() for r in resolutions}
    frame = raw.sort_values(["point_id", "ts"], kind="stable").reset_index(drop=True)
    is_good = (frame["quality"] == "good") & frame["value"].notna()
    good = frame[is_good].copy()
    _add_counter_steps(good)
    out = {}
    for resolution in resolutions:
        good["bucket"] = bucket_start(good["ts"], resolution, timezone)
        _add_gaps(good, resolution, timezone)
        bad = frame[~is_good]
        bad_bucket = bucket_start(bad["ts"], resolution, timezone)
        bad = bad[(bad_bucket >= lo) & (bad_bucket < hi)].assign(bucket=bad_bucket)
        stats = _aggregate(good[(good["bucket"] >= lo) & (good["bucket"] < hi)])
        bad_count = bad.groupby(["point_id", "bucket"]).size().rename("bad_count")
        rows = stats.join(bad_count, how="outer").reset_index().rename(columns={"bucket": "ts"})
        out[resolution] = _typed(rows)
    return out


def _add_counter_steps(good: pd.DataFrame) -> None:
    ts_s = good["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    values = good["value"].to_numpy()
    increment = np.zeros(len(good))
    status = np.zeros(len(good), dtype=np.int8)
    for start, stop in _runs(good["point_id"].to_numpy()):
        steps = counter_steps(ts_s[start:stop], values[start:stop])
        increment[start:stop] = steps.increment
        status[start:stop] = steps.status
    good["increase"] = increment
    good["resets"] = (status == RESET).astype(np.int64)
    good["glitches"] = (status == GLITCH).astype(np.int64)
    good["ts_s"] = ts_s


def _runs(point_ids: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each point's rows in a frame sorted by point_id."""
    if len(point_ids) == 0:
        return []
    edges = np.flatnonzero(point_ids[1:] != point_ids[:-1]) + 1
    bounds = np.concatenate([[0], edges, [len(point_ids)]])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _add_gaps(good: pd.DataFrame, resolution: str, timezone: str) -> None:
    """Longest part of each reading's bucket not covered, looking at the readings before and after it."""
    bstart = good["bucket"].to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    bend = bucket_end(good["bucket"], resolution, timezone).to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    ts = good["ts_s"].to_numpy()
    same = np.zeros(len(good), dtype=bool)
    pids = good["point_id"].to_numpy()
    same[1:] = pids[1:] == pids[:-1]
    prev = np.where(same, np.roll(ts, 1), bstart)  # nothing before: the point began inside this bucket
    nxt_same = np.zeros(len(good), dtype=bool)
    nxt_same[:-1] = same[1:]
    nxt = np.where(nxt_same, np.roll(ts, -1), ts)  # nothing after: we cannot know yet
    before = ts - np.maximum(prev, bstart)
    after = np.minimum(nxt, bend) - ts
    good["max_gap_s"] = np.maximum(before, after)


def _aggregate(good: pd.DataFrame) -> pd.DataFrame:
    grouped = good.groupby(["point_id", "bucket"], sort=True)["value"]
    stats = pd.DataFrame(
        {
            "mean": grouped.mean(),
            "min": grouped.min(),
            "max": grouped.max(),
            "first": grouped.first(),
            "last": grouped.last(),
            "count": grouped.size(),
        }
    )
    sums = good.groupby(["point_id", "bucket"], sort=True)[["increase", "resets", "glitches"]].sum()
    gaps = good.groupby(["point_id", "bucket"], sort=True)["max_gap_s"].max()
    return stats.join(sums).join(gaps)


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    for column in ("count", "bad_count", "resets", "glitches"):
        out[column] = out[column].fillna(0).astype("int64")
    out["increase"] = out["increase"].fillna(0.0)
    out["ts"] = out["ts"].astype(TS_DTYPE)
    out["point_id"] = out["point_id"].astype("str")
    return out[list(ALL_ROLLUP_COLUMNS)].sort_values(["point_id", "ts"]).reset_index(drop=True)


def months_from_days(days: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Calendar-month rollups (local time) from daily rollups. A missing day inside a month is a gap."""
    if days.empty:
        return empty_rollup()
    frame = days.sort_values(["point_id", "ts"]).copy()
    frame["bucket"] = bucket_start(frame["ts"], "month", timezone)
    frame["weighted"] = frame["mean"] * frame["count"]
    g = frame.groupby(["point_id", "bucket"], sort=True)
    out = pd.DataFrame(
        {
            "weighted": g["weighted"].sum(min_count=1),
            "count": g["count"].sum(),
            "min": g["min"].min(),
            "max": g["max"].max(),
            "first": g["first"].first(),
            "last": g["last"].last(),
            "bad_count": g["bad_count"].sum(),
            "increase": g["increase"].sum(),
            "resets": g["resets"].sum(),
            "glitches": g["glitches"].sum(),
            "max_gap_s": g["max_gap_s"].max(),
            "days": g.size(),
            "last_day": g["ts"].max(),
        }
    ).reset_index()
    out["mean"] = out["weighted"] / out["count"].where(out["count"] > 0)
    elapsed_days = ((out["last_day"] - out["bucket"]).dt.total_seconds() / 86400).round() + 1
    out.loc[out["days"] < elapsed_days, "max_gap_s"] = np.maximum(out["max_gap_s"].fillna(0), 86400.0)
    return _typed(out.rename(columns={"bucket": "ts"}))
