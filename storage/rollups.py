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

from collections.abc import Collection, Mapping

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


def rollup_many(
    raw: pd.DataFrame,
    resolutions: tuple[str, ...],
    timezone: str,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    rollovers: Mapping[str, float] | None = None,
    counters: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Aggregates of the buckets starting in ``[lo, hi)`` at each resolution, judging each counter reading
    once. ``raw`` may hold context readings on either side (they give the first increment and judge dips at the
    edges) and must be one store's raw frame. ``rollovers``: the wrap value of each counter register that has
    one (point id -> value in the point's unit). ``counters``: the energy counter points; only they get
    ``increase`` (None: every point that does not look like a gauge)."""
    if raw.empty:
        return {r: empty_rollup() for r in resolutions}
    frame = _Sorted(raw)
    increase, status = _counter_steps(frame, rollovers or {}, counters)
    instants, inverse = np.unique(frame.ts, return_inverse=True)  # 1-minute data: few distinct instants
    good = _Good(frame, increase, status, inverse)
    out = {}
    for resolution in resolutions:
        starts, ends = _buckets(instants, resolution, timezone)
        stats = _aggregate_good(good, starts, ends, lo.value, hi.value)
        bad = _count_bad(frame, starts[inverse], lo.value, hi.value)
        rows = stats.merge(bad, on=["code", "ts"], how="outer") if len(bad) else stats.assign(bad_count=0)
        rows["point_id"] = frame.names[rows["code"].to_numpy(dtype=np.int64)]  # int even when no row is left
        rows["ts"] = pd.to_datetime(rows["ts"].to_numpy(dtype=np.int64), utc=True)
        out[resolution] = _typed(rows)
    return out


class _Sorted:
    """A raw frame as numpy arrays sorted by point then time; point ids as integer codes."""

    def __init__(self, raw: pd.DataFrame) -> None:
        codes, names = pd.factorize(raw["point_id"])
        ts = raw["ts"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        order = np.lexsort((ts, codes))
        value = raw["value"].to_numpy(dtype=np.float64)[order]
        self.names = np.asarray(names, dtype=object)
        self.code = codes[order]
        self.ts = ts[order]
        self.value = value
        self.good = (raw["quality"] == "good").to_numpy(dtype=bool)[order] & np.isfinite(value)


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of runs of equal ``keys`` (sorted)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1])
    return starts, np.concatenate([starts[1:], [len(keys)]])


def _counter_steps(
    frame: _Sorted, rollovers: Mapping[str, float], counters: Collection[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per good reading: increment and status (zeros for bad readings)."""
    increase = np.zeros(len(frame.ts))
    status = np.zeros(len(frame.ts), dtype=np.int8)
    idx = np.flatnonzero(frame.good)
    starts, stops = _runs(frame.code[idx])
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        rows = idx[a:b]
        name = frame.names[frame.code[rows[0]]]
        if counters is not None and name not in counters:
            continue
        steps = counter_steps(frame.ts[rows] / 1e9, frame.value[rows], rollover=rollovers.get(name),
                              known_counter=counters is not None)
        increase[rows] = steps.increment
        status[rows] = steps.status
    return increase, status


def _buckets(instants: np.ndarray, resolution: str, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Bucket start and end (UTC ns) of each distinct instant."""
    start = bucket_start(pd.Series(pd.to_datetime(instants, utc=True)), resolution, timezone)
    end = bucket_end(start, resolution, timezone)
    def as_ns(s: pd.Series) -> np.ndarray:
        ns: np.ndarray = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return ns

    return as_ns(start), as_ns(end)


class _Good:
    """The good readings, with what every resolution needs: counter steps and each reading's neighbours."""

    def __init__(self, frame: _Sorted, increase: np.ndarray, status: np.ndarray, inverse: np.ndarray) -> None:
        g = np.flatnonzero(frame.good)
        self.code, self.ts, self.value = frame.code[g], frame.ts[g], frame.value[g]
        self.increase = increase[g]
        self.resets = (status[g] == RESET).astype(np.int64)
        self.glitches = (status[g] == GLITCH).astype(np.int64)
        self.instant = inverse[g]
        same = np.zeros(len(g), dtype=bool)
        same[1:] = self.code[1:] == self.code[:-1]
        # nothing before: the point began inside the bucket; nothing after: we cannot know yet
        self.prev = np.where(same, np.roll(self.ts, 1), np.iinfo(np.int64).min)
        self.next = np.where(np.append(same[1:], False), np.roll(self.ts, -1), self.ts)


def _aggregate_good(good: _Good, starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> pd.DataFrame:
    bstart_all = starts[good.instant]
    i = np.flatnonzero((bstart_all >= lo) & (bstart_all < hi))
    code, ts, value, bstart = good.code[i], good.ts[i], good.value[i], bstart_all[i]
    bend = ends[good.instant[i]]
    # the longest part of the bucket not covered, looking at the good readings before and after each one
    gap = np.maximum(ts - np.maximum(good.prev[i], bstart), np.minimum(good.next[i], bend) - ts) / 1e9
    first, stop = _runs(_group_key(code, bstart))
    if len(first) == 0:
        return pd.DataFrame({c: np.zeros(0) for c in ("code", "ts", *_GOOD_COLUMNS)})
    count = stop - first
    return pd.DataFrame(
        {
            "code": code[first],
            "ts": bstart[first],
            "mean": np.add.reduceat(value, first) / count,
            "min": np.minimum.reduceat(value, first),
            "max": np.maximum.reduceat(value, first),
            "last": value[stop - 1],
            "count": count,
            "first": value[first],
            "increase": np.add.reduceat(good.increase[i], first),
            "resets": np.add.reduceat(good.resets[i], first),
            "glitches": np.add.reduceat(good.glitches[i], first),
            "max_gap_s": np.maximum.reduceat(gap, first),
        }
    )


_GOOD_COLUMNS = ("mean", "min", "max", "last", "count", "first", "increase", "resets", "glitches", "max_gap_s")


def _group_key(code: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """One key per (point, bucket), equal along runs (rows are sorted by point then time)."""
    changed = np.zeros(len(code), dtype=np.int64)
    changed[1:] = (code[1:] != code[:-1]) | (bucket[1:] != bucket[:-1])
    return np.cumsum(changed)


def _count_bad(frame: _Sorted, bucket: np.ndarray, lo: int, hi: int) -> pd.DataFrame:
    rows = np.flatnonzero(~frame.good & (bucket >= lo) & (bucket < hi))
    if len(rows) == 0:
        return pd.DataFrame({"code": [], "ts": [], "bad_count": []})
    bad = pd.DataFrame({"code": frame.code[rows], "ts": bucket[rows]})
    return bad.groupby(["code", "ts"], sort=False).size().rename("bad_count").reset_index()


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
