"""Historical readings from CSV or Excel: columns ``timestamp, point, value`` (``unit`` and ``quality``
optional). Every bad row is reported with its line number and nothing is written unless every row is good.

Checks: the point exists in the site; the unit, when given, is the point's unit; the value is a number;
the timestamp parses. A timestamp without a zone is read in the site's zone, and the import says so. Two
rows for the same point and timestamp: the later row wins (a store overwrites on (point, ts) anyway, so
importing the same file twice never double counts).
"""

from __future__ import annotations

import csv
import difflib
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.errors import ImportFileError
from models.reading import Quality
from storage.base import Store

REQUIRED = ("timestamp", "point", "value")
OPTIONAL = ("unit", "quality")
CHUNK_ROWS = 200_000  # a chunk of text rows holds ~100 MB of Python strings at its peak
MAX_REPORTED = 50


@dataclass
class ImportReport:
    rows: int = 0
    written: int = 0
    problems: list[str] = field(default_factory=list)
    naive_timestamps: int = 0
    duplicates: int = 0
    problem_count: int = 0

    def add(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(message)



HEADER_FIX = "the first line must be the header timestamp,point,value[,unit][,quality]"


def _chunks(path: Path) -> Iterator[tuple[int, pd.DataFrame]]:
    """(line number of the chunk's first row, rows as text) for CSV or XLSX."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        yield 2, _columns(_read_excel(path), path)
        return
    if suffix not in (".csv", ".txt"):
        raise ImportFileError(f"{path}: unknown format {suffix!r}; give a .csv or .xlsx file")
    _check_text(path)
    line = 2
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark that would otherwise hide the first column
    try:
        with warnings.catch_warnings():
            # every row one field longer than the header: pandas would silently make the first column the index
            # (index_col=False) and drop the last one (and warn): refuse instead
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS, index_col=False,
                                 skipinitialspace=True, encoding="utf-8-sig", encoding_errors="replace")
            for chunk in reader:
                yield line, _columns(chunk, path)
                line += len(chunk)
    except pd.errors.ParserWarning:
        raise ImportFileError(_longer_row(path)) from None
    except pd.errors.ParserError as exc:
        raise ImportFileError(_parser_problem(path, str(exc))) from None
    except pd.errors.EmptyDataError:
        raise ImportFileError(f"{path}: no header line; {HEADER_FIX}") from None


def _read_excel(path: Path) -> pd.DataFrame:
    if not zipfile.is_zipfile(path):  # every .xlsx is a zip; anything else makes openpyxl raise BadZipFile
        raise ImportFileError(f"{path}: not an Excel workbook (an .xlsx file is a zip); save it from Excel as "
                              ".xlsx, or export CSV UTF-8")  # fmt: skip
    try:
        return pd.read_excel(path, dtype=str, engine="openpyxl")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise ImportFileError(f"{path}: not a readable Excel workbook ({exc}); save it again as .xlsx") from None


def _check_text(path: Path) -> None:
    """An empty or binary file is answered before pandas reads it (its errors name neither file nor fix)."""
    with path.open("rb") as f:
        head = f.read(65536)
    if not head.strip():
        raise ImportFileError(f"{path}: the file is empty; {HEADER_FIX}")
    if b"\0" in head:
        line = head[: head.index(b"\0")].count(b"\n") + 1
        raise ImportFileError(f"{path}:{line}: binary content (a NUL byte), not CSV text; export the data as "
                              "CSV UTF-8")  # fmt: skip
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the 64 KB
            line = head[: exc.start].count(b"\n") + 1
            raise ImportFileError(f"{path}:{line}: not UTF-8 text (byte 0x{head[exc.start]:02x}); export the "
                                  "data as CSV UTF-8") from None  # fmt: skip


def _longer_row(path: Path) -> str:
    """The first row with more fields than the header (a streaming scan: this is the error path only)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        rows = csv.reader(f)
        width = len(next(rows, []))
        for row in rows:
            if len(row) > width:
                return (f"{path}:{rows.line_num}: {len(row)} fields where the header has {width}; quote values "
                        "that contain commas")  # fmt: skip
    return f"{path}: rows have more fields than the header; quote values that contain commas"


def _parser_problem(path: Path, message: str) -> str:
    """pandas' tokenizer errors as ``file:line: problem; fix`` (its rows count from 0 at the header)."""
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:
        return f"{path}:{int(quote.group(1)) + 1}: unterminated quote (the file ends inside it); close the quote"
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        want, line, saw = fields.groups()
        return f"{path}:{line}: {saw} fields where the header has {want}; quote values that contain commas"
    return f"{path}: not readable as CSV ({message.removeprefix('Error tokenizing data. C error: ')})"


def _columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFileError(f"{path}:1: missing column(s) {', '.join(missing)}; {HEADER_FIX}")
    return frame.fillna("")


def _hint(name: str, known: Mapping[str, str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_chunk(
    first_line: int, rows: pd.DataFrame, units: Mapping[str, str], timezone: str, report: ImportReport
) -> pd.DataFrame:
    """Validate one chunk; returns the good rows as a raw-readings frame and records each problem."""
    lines = np.arange(first_line, first_line + len(rows))
    point = rows["point"].str.strip()
    value = pd.to_numeric(rows["value"].str.strip(), errors="coerce")
    text_ts = rows["timestamp"].str.strip()
    ts, naive = _localise(text_ts, timezone)
    report.naive_timestamps += int(naive)
    unit = rows["unit"].str.strip() if "unit" in rows else pd.Series("", index=rows.index)
    quality = rows["quality"].str.strip().replace("", "good") if "quality" in rows else pd.Series("good",
                                                                                                  index=rows.index)
    valid_quality = {q.value for q in Quality}
    known = point.isin(list(units))
    expected_unit = point.map(units).fillna("")
    # vectorised first: a 200 MB file has 4 million rows, and only the bad ones need a sentence
    bad = (~known | ts.isna() | ~np.isfinite(value.fillna(np.nan)) | ((unit != "") & (unit != expected_unit))
           | ~quality.isin(list(valid_quality))).to_numpy()
    for i in np.flatnonzero(bad):
        message = _row_problem(point.iloc[i], value.iloc[i], ts.iloc[i], unit.iloc[i], quality.iloc[i], units,
                               valid_quality, rows["value"].iloc[i], text_ts.iloc[i])
        report.add(f"line {lines[i]}: {message}")
    return pd.DataFrame({"ts": ts, "point_id": point, "value": value, "quality": quality})[~bad]


def _row_problem(pid, v, t, u, q, units, valid_quality, raw_value, raw_ts) -> str | None:  # type: ignore[no-untyped-def]
    if pid not in units:
        return f"unknown point {pid!r}{_hint(pid, units)}; points are '<device>.<point>' from the site file"
    if pd.isna(t):
        return f"timestamp {raw_ts!r} is not an ISO 8601 date-time (e.g. 2026-03-01T08:00:00+08:00)"
    if pd.isna(v) or not np.isfinite(v):
        return f"value {raw_value!r} of {pid} is not a number"
    if u and u != units[pid]:
        return f"unit {u!r} but {pid} is measured in {units[pid]!r}; convert the column or fix the point"
    if q not in valid_quality:
        return f"quality {q!r} is not one of {sorted(valid_quality)}"
    return None


def _localise(text: pd.Series, timezone: str) -> tuple[pd.Series, int]:
    """UTC timestamps; rows written without a zone are read in the site's ``timezone``."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    for aware, part in ((True, has_zone), (False, ~has_zone)):
        if not part.any():
            continue
        chunk = pd.to_datetime(text[part], errors="coerce", format="ISO8601", utc=aware)
        if not aware:
            chunk = chunk.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        out[part] = chunk.astype("datetime64[ns, UTC]")
    return out, int((~has_zone & out.notna()).sum())


def import_readings(path: Path, store: Store, units: Mapping[str, str], timezone: str) -> ImportReport:
    """Check the whole file, then (only if every row is good) write it in chunks. ``units``: point → unit."""
    report = ImportReport()
    for first_line, rows in _chunks(path):
        good = check_chunk(first_line, rows, units, timezone, report)
        report.rows += len(rows)
        report.duplicates += int(good.duplicated(["point_id", "ts"]).sum())
    if report.problem_count:
        return report
    for first_line, rows in _chunks(path):
        report.written += store.write_frame(check_chunk(first_line, rows, units, timezone, ImportReport()))
    return report
