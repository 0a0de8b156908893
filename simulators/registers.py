"""Our own register encoder: a template's points and values in, 16-bit register words out.

The inverse of what a collector decodes: struct by data type, byte and word order, ``scale``/``offset``,
SunSpec scale factors chosen from the value's magnitude (so they change with power level), the 'SunS' marker
and model chain, and the SunSpec "not implemented" sentinels for points a device lacks.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping

import numpy as np

from models.resolve import register_points
from models.sunspec import END_MODEL_ID, SUNS_MARKER, chain_layout
from models.template import ModbusTemplate, RegisterPoint
from models.vocabulary import STRUCT_CODE, DataType

Value = float | str | None
SF_RANGE = range(-2, 7)  # finest resolution first
_LIMITS = {
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT32: (-0x80000000, 0x7FFFFFFF),
    DataType.UINT32: (0, 0xFFFFFFFF),
    DataType.INT64: (-(2**63), 2**63 - 1),
    DataType.UINT64: (0, 2**64 - 1),
}


def _order(raw: bytes, byte_order: str, word_order: str) -> list[int]:
    endian = "little" if byte_order == "little" else "big"
    words = [int.from_bytes(raw[i : i + 2], endian) for i in range(0, len(raw), 2)]
    return words[::-1] if word_order == "little" else words


def pack_raw(dtype: DataType, raw: float | int, byte_order: str = "big", word_order: str = "big") -> list[int]:
    """One raw (already scaled) number as register words. Unsigned counters wrap like a real meter's."""
    if dtype in (DataType.FLOAT32, DataType.FLOAT64):
        return _order(struct.pack(">" + STRUCT_CODE[dtype], float(raw)), byte_order, word_order)
    low, high = _LIMITS[dtype]
    number = int(round(raw))
    number = number % (high + 1) if low == 0 else min(max(number, low), high)
    return _order(struct.pack(">" + STRUCT_CODE[dtype], number), byte_order, word_order)


def pack_text(text: str, length: int) -> list[int]:
    data = text.encode("ascii", "replace")[: length * 2].ljust(length * 2, b"\0")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def sentinel_words(point: RegisterPoint, byte_order: str = "big", word_order: str = "big") -> list[int]:
    """What a SunSpec device serves for a point it does not implement."""
    if point.type is DataType.STRING:
        return [0] * point.count
    if point.type in (DataType.FLOAT32, DataType.FLOAT64):
        return pack_raw(point.type, math.nan, byte_order, word_order)
    if point.accumulator:
        return [0] * point.count
    if point.sentinel is None:
        return [0] * point.count
    return pack_raw(point.type, point.sentinel, byte_order, word_order)


def choose_scale_factor(magnitudes: list[float], point_types: list[DataType]) -> int:
    """The finest SunSpec scale factor at which every value sharing it fits its register type."""
    for sf in SF_RANGE:
        pairs = zip(magnitudes, point_types, strict=True)
        if all(abs(v) / 10.0**sf * 1.0001 <= _LIMITS[t][1] for v, t in pairs if t in _LIMITS):
            return sf
    return SF_RANGE[-1]


def register_step(point: RegisterPoint, value: float) -> float:
    """The smallest change of ``value`` the point's register can show (0: float and text registers carry the value
    as is). SunSpec points take the scale factor :func:`scale_factors` would choose for this value."""
    if point.type not in _LIMITS:
        return 0.0
    sf = choose_scale_factor([value / point.scale], [point.type]) if point.scale_factor else 0
    return point.scale * 10.0**sf


def scale_factors(points: tuple[RegisterPoint, ...], values: Mapping[str, Value]) -> dict[str, int]:
    """Scale factor per ``*_SF`` point, from the current values of the points that use it."""
    users: dict[str, list[RegisterPoint]] = {}
    for p in points:
        if p.scale_factor:
            users.setdefault(p.scale_factor, []).append(p)
    chosen = {}
    for sf_name, pts in users.items():
        present = [p for p in pts if isinstance(values.get(p.name), (int, float))]
        scaled = [(float(values[p.name]) / p.scale, p.type) for p in present]  # type: ignore[arg-type]
        chosen[sf_name] = choose_scale_factor([v for v, _ in scaled], [t for _, t in scaled]) if scaled else 0
    return chosen


def encode_point(
    point: RegisterPoint, value: Value, sf: int = 0, byte_order: str = "big", word_order: str = "big"
) -> list[int]:
    if value is None:
        return sentinel_words(point, byte_order, word_order)
    if point.type is DataType.STRING:
        return pack_text(str(value), point.count)
    raw = (float(value) - point.offset) / point.scale / 10.0**sf
    return pack_raw(point.type, raw, byte_order, word_order)


class RegisterImage:
    """Holding and input register tables of one device (65536 words each)."""

    def __init__(self) -> None:
        self.holding = np.zeros(65536, dtype=np.uint16)
        self.input = np.zeros(65536, dtype=np.uint16)

    def table(self, register_type: str) -> np.ndarray:
        return self.input if register_type == "input" else self.holding

    def put(self, register_type: str, address: int, words: list[int]) -> None:
        self.table(register_type)[address : address + len(words)] = words

    def read(self, register_type: str, address: int, count: int) -> list[int]:
        return [int(w) for w in self.table(register_type)[address : address + count]]


def write_sunspec_frame(image: RegisterImage, template: ModbusTemplate) -> None:
    """The 'SunS' marker, each model's ID and L, and the end model: what a SunSpec scanner walks."""
    spec = template.sunspec
    if spec is None:
        return
    image.put("holding", spec.base, list(SUNS_MARKER))
    end = spec.base + 2
    for model_id, address, length in chain_layout(spec):
        image.put("holding", address, [model_id, length])
        end = address + 2 + length
    image.put("holding", end, [END_MODEL_ID, 0])


def encode_device(image: RegisterImage, template: ModbusTemplate, values: Mapping[str, Value]) -> None:
    """Write every point of ``template`` into ``image``; names missing from ``values`` read 'not implemented'."""
    points = register_points(template)
    sfs = scale_factors(points, values)
    for p in points:
        bo, wo = template.axes_of(p)  # a point's own order overrides the template's
        if p.name in sfs:
            words = pack_raw(DataType.INT16, sfs[p.name], bo, wo)
        else:
            words = encode_point(p, values.get(p.name), sfs.get(p.scale_factor or "", 0), bo, wo)
        image.put(p.register_type, p.address, words)

