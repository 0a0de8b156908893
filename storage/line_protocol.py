"""InfluxDB line protocol, built from frames with vectorised string operations.

Building the lines ourselves and posting them is about 5× faster than the v1 client's dict path (research
note §2.4, gotcha 4). One series per point: the tag set of a point is fixed (site, subsystem, device, point,
role), so InfluxDB's "same series and timestamp overwrites" gives the idempotence the Store contract needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from models.reading import split_point_id

TAG_KEYS = ("device", "point", "role", "site", "subsystem")  # sorted: InfluxDB's fastest tag order
ROLLUP_INT_FIELDS = ("count", "bad_count", "resets", "glitches")
ROLLUP_FLOAT_FIELDS = ("mean", "min", "max", "last", "first", "increase", "max_gap_s")


def escape_tag(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def escape_string_field(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def series_key(measurement: str, point_id: str, tags: Mapping[str, str]) -> str:
    """``measurement,device=..,point=..,...`` for one point; empty tags are left out (InfluxDB refuses them)."""
    values = dict(tags)
    values.setdefault("device", _device(point_id))
    values["point"] = point_id
    parts = [f"{k}={escape_tag(values[k])}" for k in TAG_KEYS if values.get(k)]
    return ",".join([measurement, *parts])


def _device(point_id: str) -> str:
    try:
        return split_point_id(point_id)[0]
    except ValueError:
        return ""


def _codes(column: pd.Series, text_of: Mapping[str, str]) -> pa.Array:
    """``text_of[value]`` for each row, looked up once per distinct value."""
    codes, uniques = pd.factorize(column)
    return pc.take(pa.array([text_of[u] for u in uniques], type=pa.string()), pa.array(codes))


def _timestamps_us(ts: pd.Series) -> pa.Array:
    return pc.cast(pa.array(ts.to_numpy(dtype="datetime64[ns]").view(np.int64) // 1000), pa.string())


def float_field(name: str, values: pd.Series, separator: str = ",") -> pa.Array:
    """``name=<value><separator>``, or empty where the value is NaN or ±inf (InfluxDB has no NaN: the field is
    left out). Arrow prints the shortest text that reads back to the same double."""
    numbers = pa.array(values.to_numpy(dtype=np.float64))
    finite = pc.is_finite(numbers)
    text = pc.binary_join_element_wise(name + "=", pc.cast(numbers, pa.string()), separator, "")
    return pc.if_else(pc.fill_null(finite, False), text, "")


def raw_lines(frame: pd.DataFrame, keys: Mapping[str, str]) -> pa.Array:
    """One line per reading; ``keys`` maps point_id to its series key (see :func:`series_key`)."""
    quality = _codes(frame["quality"], {q: f'quality="{escape_string_field(q)}"' for q in frame["quality"].unique()})
    return pc.binary_join_element_wise(
        _codes(frame["point_id"], keys), " ", float_field("value", frame["value"]), quality, " ",
        _timestamps_us(frame["ts"]), "",
    )


def rollup_lines(frame: pd.DataFrame, keys: Mapping[str, str]) -> pa.Array:
    parts: list[pa.Array | str] = [_codes(frame["point_id"], keys), " "]
    for name in ROLLUP_FLOAT_FIELDS:
        parts.append(float_field(name, frame[name]))
    for i, name in enumerate(ROLLUP_INT_FIELDS):
        digits = pc.cast(pa.array(frame[name].to_numpy(dtype=np.int64)), pa.string())
        parts += [name + "=", digits, "i" if i == len(ROLLUP_INT_FIELDS) - 1 else "i,"]
    parts += [" ", _timestamps_us(frame["ts"])]
    return pc.binary_join_element_wise(*parts, "")


def batches(lines: pa.Array, size: int) -> Iterator[bytes]:
    """Newline-joined batches of ``size`` lines, ready to POST."""
    offsets = pa.array(list(range(0, len(lines), size)) + [len(lines)], type=pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, lines), "\n")
    for text in joined.to_pylist():
        yield text.encode()
