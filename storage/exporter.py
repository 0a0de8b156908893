"""Readings and rollups out to the tools analysts use: CSV, Excel (XLSX) and Parquet, with units and
quality columns, streamed a window at a time so a year of raw data never has to fit in memory.

Times: CSV carries ISO 8601 with the site's offset (``2026-03-01T08:00:00+08:00``); Parquet a UTC timestamp;
Excel the site's local time as a real date-time cell (Excel has no time zones; the header names the zone).
Excel is written with XlsxWriter in ``constant_memory`` mode and ``strings_to_formulas`` off, so a point name
like ``=cmd|...`` stays text (CSV/Excel formula injection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models.errors import ExportError
from storage.base import Store
from storage.frames import utc

FORMATS = ("csv", "xlsx", "parquet")
RAW_OUT = ("value", "quality")
ROLLUP_OUT = ("mean", "min", "max", "first", "last", "count", "bad_count", "increase", "resets", "glitches",
              "max_gap_s")
WINDOW = {"raw": pd.Timedelta(days=1), "15min": pd.Timedelta(days=31), "hour": pd.Timedelta(days=92)}
XLSX_MAX_ROWS = 1_048_575  # one header row



def windows(start: pd.Timestamp, end: pd.Timestamp, resolution: str) -> Iterator[tuple[pd.Timestamp, pd.Timestamp]]:
    step = WINDOW.get(resolution)
    if step is None:  # day and month rollups are small: one read
        yield start, end
        return
    lo = start
    while lo < end:
        hi = min(lo + step, end)
        yield lo, hi
        lo = hi


def shaped(frame: pd.DataFrame, resolution: str, units: Mapping[str, str]) -> pd.DataFrame:
    """The exported columns: time, point_id, unit, then values and quality columns."""
    measures = RAW_OUT if resolution == "raw" else ROLLUP_OUT
    out = pd.DataFrame({"time": frame["ts"], "point_id": frame["point_id"]})
    out["unit"] = frame["point_id"].map(units).fillna("")
    for column in measures:
        out[column] = frame[column]
    return out


class CsvSink:
    def __init__(self, path: Path, timezone: str) -> None:
        self.path, self.timezone, self.rows = path, timezone, 0

    def write(self, frame: pd.DataFrame) -> None:
        local = frame.assign(time=frame["time"].dt.tz_convert(self.timezone).map(lambda t: t.isoformat()))
        local.to_csv(self.path, mode="a" if self.rows else "w", header=not self.rows, index=False)
        self.rows += len(frame)

    def close(self) -> None:
        if not self.rows:
            self.path.write_text("time,point_id,unit\n")


class ParquetSink:
    def __init__(self, path: Path, timezone: str) -> None:
        self.path, self.rows = path, 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table.cast(self._writer.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class XlsxSink:
    def __init__(self, path: Path, timezone: str) -> None:
        import xlsxwriter

        self.timezone, self.rows = timezone, 0
        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        self._sheet = self._book.add_worksheet("readings")
        self._when = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._header: list[str] | None = None

    def write(self, frame: pd.DataFrame) -> None:
        if self.rows + len(frame) > XLSX_MAX_ROWS:
            raise ExportError(
                f"more than {XLSX_MAX_ROWS} rows: Excel cannot hold them; use --format csv or parquet, "
                "a coarser --resolution, or a shorter range"
            )
        if self._header is None:
            self._header = [f"time ({self.timezone})", *frame.columns[1:]]
            self._sheet.write_row(0, 0, self._header)
        local = frame["time"].dt.tz_convert(self.timezone).dt.tz_localize(None)
        records = frame.drop(columns="time").astype(object).where(frame.drop(columns="time").notna(), None)
        for when, row in zip(local.dt.to_pydatetime(), records.itertuples(index=False), strict=True):
            self.rows += 1
            self._sheet.write_datetime(self.rows, 0, when, self._when)
            self._sheet.write_row(self.rows, 1, row)

    def close(self) -> None:
        self._book.close()


class ExportSink(Protocol):
    rows: int

    def write(self, frame: pd.DataFrame) -> None: ...
    def close(self) -> None: ...


SINKS: dict[str, Callable[[Path, str], ExportSink]] = {"csv": CsvSink, "xlsx": XlsxSink, "parquet": ParquetSink}


def data_span(
    store: Store, point_ids: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The part of ``[start, end)`` that can hold data of the points: the months their rollups cover (the
    rollups are current: :func:`export` updates them first); None when there is none. A 200-year
    ``--from/--to`` over a store of two rows read 73,000 empty daily windows (over two minutes); the month
    rollups answer in one query."""
    months = store.read(list(point_ids), start, end, "month")
    if months.empty:
        return None if store.latest(list(point_ids)).empty else (start, end)
    month = pd.Timedelta(days=32)  # a month rollup's ts is its first instant; the next starts within 32 days
    first_month, last_month = utc(months["ts"].min()), utc(months["ts"].max())
    # then the days of the first and last month: a raw export reads only days that hold data, in daily windows
    first_days = store.read(list(point_ids), max(start, first_month), min(end, first_month + month), "day")
    last_days = store.read(list(point_ids), max(start, last_month), min(end, last_month + month), "day")
    first = utc(first_days["ts"].min()) if not first_days.empty else first_month
    last = utc(last_days["ts"].max()) + pd.Timedelta(days=1, hours=1) if not last_days.empty else last_month + month
    lo, hi = max(start, first), min(end, last)  # a local day is 23 to 25 hours long: one hour to spare
    return (lo, hi) if lo < hi else None


def export(
    store: Store,
    point_ids: Sequence[str],
    units: Mapping[str, str],
    start: datetime,
    end: datetime,
    resolution: str,
    fmt: str,
    out: Path,
    timezone: str,
) -> int:
    """Write the points' data of ``[start, end)`` to ``out``; returns the rows written."""
    if fmt not in SINKS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    store.update_rollups()  # the month rollups bound the work below, so they must be current
    span = data_span(store, point_ids, utc(start), utc(end))
    sink = SINKS[fmt](out, timezone)
    try:
        for lo, hi in windows(*span, resolution) if span else ():
            frame = store.read(list(point_ids), lo, hi, resolution)  # type: ignore[arg-type]
            if not frame.empty:
                sink.write(shaped(frame, resolution, units))
    finally:
        sink.close()
    return sink.rows
