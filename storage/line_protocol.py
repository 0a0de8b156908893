"""InfluxDB line protocol, built from frames with vectorised string operations.

Building the lines ourselves and posting them is about 5× faster than the v1 client's dict path (research
note §2.4, gotcha 4). One series per point: the tag set of a point is fixed (site, subsystem, device, point,
role), so InfluxDB's "same series and timestamp overwrites" gives the idempotence the Store contract needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

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


def timestamps_us(ts: pd.Series) -> pd.Series:
    return pd.Series(ts.to_numpy(dtype="datetime64[ns]").astype(np.int64) // 1000, index=ts.index)


def float_text(values: pd.Series) -> pd.Series:
    """Floats as text InfluxDB reads back bit-for-bit (repr); NaN and ±inf become empty (field left out)."""
    finite = np.isfinite(values.to_numpy(dtype=np.float64))
    return values.map(repr).where(finite, "")


def raw_lines(frame: pd.DataFrame, keys: Mapping[str, str]) -> pd.Series:
    """One line per reading; ``keys`` maps point_id to its series key (see :func:`series_key`)."""
    key = frame["point_id"].map(keys)
    value = float_text(frame["value"])
    value_part = ("value=" + value + ",").where(value != "", "")
    quality = 'quality="' + frame["quality"].map(escape_string_field) + '"'
    return key + " " + value_part + quality + " " + timestamps_us(frame["ts"]).astype(str)


def rollup_lines(frame: pd.DataFrame, keys: Mapping[str, str]) -> pd.Series:
    fields = pd.Series("", index=frame.index, dtype="str")
    for name in ROLLUP_INT_FIELDS:
        fields = fields + name + "=" + frame[name].astype("int64").astype(str) + "i,"
    for name in ROLLUP_FLOAT_FIELDS:
        text = float_text(frame[name])
        fields = fields + (name + "=" + text + ",").where(text != "", "")
    fields = fields.str.slice(0, -1)
    return frame["point_id"].map(keys) + " " + fields + " " + timestamps_us(frame["ts"]).astype(str)


def batches(lines: pd.Series, size: int) -> Iterator[bytes]:
    """Newline-joined batches of ``size`` lines, ready to POST."""
    values = lines.tolist()
    for start in range(0, len(values), size):
        yield "\n".join(values[start : start + size]).encode()
