"""One register block decoded in every byte and word order, for ``zerocarbon probe``: an integrator sees which
order gives a plausible value instead of guessing (modpoll-style tools show one order at a time).

The decoding is the collectors' own (:class:`collectors.decode.BlockDecoder`), so what probe shows for an order
is exactly what a template with that ``order`` will collect.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from collectors.decode import BlockDecoder, ByteOrder
from models.template import RegisterPoint
from models.vocabulary import ORDER_NAMES_32, ORDER_NAMES_64, REGISTER_COUNT, DataType

NUMERIC = [t for t in DataType if t is not DataType.STRING]
ORDERS_16 = {("big", "big"): "AB", ("little", "big"): "BA"}  # one register: only the byte axis


def order_names(dtype: DataType) -> Mapping[tuple[str, str], str]:
    """The orders that differ for this type, by (byte order, word order)."""
    width = REGISTER_COUNT[dtype]
    return ORDERS_16 if width == 1 else ORDER_NAMES_64 if width == 4 else ORDER_NAMES_32


def registers_needed(dtype: DataType, count: int) -> int:
    return REGISTER_COUNT[dtype] * count


def decode_every_order(registers: list[int], dtype: DataType, count: int) -> dict[str, list[int | float | None]]:
    """``{order name: [value, ...]}`` for ``count`` consecutive values of ``dtype`` (NaN/inf as None)."""
    width = REGISTER_COUNT[dtype]
    points = [RegisterPoint(name=f"v{i}", address=i * width, type=dtype) for i in range(count)]
    out: dict[str, list[int | float | None]] = {}
    for axes, name in order_names(dtype).items():
        raw = BlockDecoder(0, width * count, points, ByteOrder(*axes)).raw(registers)
        out[name] = [_finite(raw[p.name]) for p in points]  # type: ignore[arg-type]
    return out


def _finite(value: int | float) -> int | float | None:
    return None if isinstance(value, float) and not math.isfinite(value) else value
