"""Decode whole register blocks into engineering values with one ``struct`` call per block.

pymodbus' ``convert_from_registers`` costs ~44 µs for 62 float32, ``struct`` ~2 µs (feasibility §3.4), so a
block is packed to bytes once and unpacked with one precompiled format that skips the unused registers.

Byte and word order: with registers ``r0, r1`` as pymodbus returns them, the value's bytes are
``r0.hi r0.lo r1.hi r1.lo`` (big/big, ABCD), ``r1.lo r1.hi r0.lo r0.hi`` (little/little, DCBA),
``r0.lo r0.hi r1.lo r1.hi`` (byte little, BADC) or ``r1.hi r1.lo r0.hi r0.lo`` (word little, CDAB).
All four are one pack and one unpack: pack the registers big-endian when byte and word order agree (else
little-endian), then unpack big-endian when the word order is big (else little-endian).

``value = raw * scale * 10**sf + offset``. SunSpec's "not implemented" values (0x8000, 0xFFFF, NaN, an
accumulator at 0, a string starting with NUL: :mod:`models.sunspec` lists them per type) and NaN anywhere
become ``None`` with :attr:`Quality.NOT_IMPLEMENTED`, never a number.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from models.reading import Quality
from models.template import RegisterPoint
from models.vocabulary import ORDER_AXES, ORDER_NAMES_32, STRUCT_CODE, DataType, RegisterOrder

Raw = int | float | str | None  # None: a text point the device does not implement


@dataclass(frozen=True)
class ByteOrder:
    """(byte order within a register, word order across registers); :attr:`name` is ABCD, BADC, CDAB or DCBA."""

    byte_order: str = "big"
    word_order: str = "big"

    @property
    def pack_code(self) -> str:
        return ">" if self.byte_order == self.word_order else "<"

    @property
    def unpack_code(self) -> str:
        return ">" if self.word_order == "big" else "<"

    @property
    def name(self) -> str:
        return ORDER_NAMES_32[(self.byte_order, self.word_order)]

    @classmethod
    def named(cls, name: str) -> ByteOrder:
        return cls(*ORDER_AXES[RegisterOrder(name)])


Layers = list[tuple[list[str], struct.Struct]]


class BlockDecoder:
    """Raw values of a block's points from the block's registers. Built once per planned read.

    ``order`` is the template's; a point's own ``order``/``byte_order``/``word_order`` overrides it. Points
    sharing an order are unpacked together, so a block of one order (nearly all) is one ``struct`` call, and a
    meter mixing CDAB floats with ABCD counters is two.
    """

    def __init__(self, address: int, count: int, points: Sequence[RegisterPoint], order: ByteOrder) -> None:
        self.address = address
        self.count = count
        self.order = order
        default = (order.byte_order, order.word_order)
        self.orders = {p.name: ByteOrder(*p.axes(default)) for p in points}
        self.numeric = [p for p in points if p.type is not DataType.STRING]
        self.strings = [p for p in points if p.type is DataType.STRING]
        by_order: dict[ByteOrder, list[RegisterPoint]] = {}
        for p in self.numeric:
            by_order.setdefault(self.orders[p.name], []).append(p)
        # (registers byte-swapped first?, layers): the pack/unpack trick of the module docstring per order
        self._groups: list[tuple[bool, Layers]] = [
            (o.pack_code == "<", _layers(pts, address, o.unpack_code)) for o, pts in by_order.items()
        ]
        self._layers = [layer for _, layers in self._groups for layer in layers]
        only = self._groups[0] if len(self._groups) == 1 and len(self._groups[0][1]) == 1 else None
        self._single = (only[0], only[1][0][1]) if only else None
        self.numeric_names = [name for names, _ in self._layers for name in names]  # order of :meth:`values`

    def values(self, wire: bytes) -> list[Raw]:
        """Raw values of the numeric points, in :attr:`numeric_names` order, from the block's bytes as they
        came off the wire (big-endian registers): the fast path for polling."""
        if len(wire) < 2 * self.count:
            raise ValueError(f"block {self.address}+{self.count}: device returned {len(wire) // 2} registers")
        if self._single is not None:  # one order, no aliased registers: nearly every block
            swap, unpacker = self._single
            return list(unpacker.unpack_from(_swap_pairs(wire) if swap else wire))
        out: list[Raw] = []
        swapped = b""
        for swap, layers in self._groups:
            if swap and not swapped:
                swapped = _swap_pairs(wire[: 2 * self.count])
            for _, unpacker in layers:
                out.extend(unpacker.unpack_from(swapped if swap else wire))
        return out

    def _buffers(self, wire: bytes) -> list[tuple[list[str], struct.Struct, bytes]]:
        swapped: bytes | None = None
        out = []
        for swap, layers in self._groups:
            if swap and swapped is None:
                swapped = _swap_pairs(wire[: 2 * self.count])
            buf = swapped if swap else wire
            out += [(names, unpacker, buf) for names, unpacker in layers]
        return out  # type: ignore[return-value]

    def raw(self, registers: Sequence[int]) -> dict[str, Raw]:
        """``{point name: raw value}`` (ints, floats, stripped strings; an all-NUL string is None)."""
        if len(registers) < self.count:
            raise ValueError(f"block {self.address}+{self.count}: device returned {len(registers)} registers")
        wire = struct.pack(f">{self.count}H", *registers[: self.count])
        out: dict[str, Raw] = {}
        for names, unpacker, buf in self._buffers(wire):
            out.update(zip(names, unpacker.unpack_from(buf), strict=True))
        for p in self.strings:
            words = registers[p.address - self.address : p.end - self.address]
            out[p.name] = decode_string(words, self.orders[p.name], p.encoding)
        return out


def _swap_pairs(data: bytes) -> bytes:
    words = array("H")
    words.frombytes(data)
    words.byteswap()
    return words.tobytes()


def _layers(points: Sequence[RegisterPoint], base: int, code: str) -> list[tuple[list[str], struct.Struct]]:
    """Non-overlapping runs of points, each one struct format with pad bytes for unread registers.
    Templates rarely alias registers, so this is nearly always a single layer."""
    layers: list[tuple[list[str], struct.Struct]] = []
    remaining = sorted(points, key=lambda p: p.address)
    while remaining:
        names, fmt, cursor, later = [], [code], base, []
        for p in remaining:
            if p.address < cursor:
                later.append(p)
                continue
            if p.address > cursor:
                fmt.append(f"{2 * (p.address - cursor)}x")
            fmt.append(STRUCT_CODE[p.type])
            names.append(p.name)
            cursor = p.end
        layers.append((names, struct.Struct("".join(fmt))))
        remaining = later
    return layers


def decode_string(registers: Sequence[int], order: ByteOrder, encoding: str = "utf-8") -> str | None:
    """Text of a string register run; None when the device says "not implemented".

    SunSpec (pysunspec2's ``is_impl_string``, ``data_to_eui48``, ``data_to_ipv6addr``): a string whose first
    byte is NUL, an EUI-48 of all zero or all 0xFF bytes, an IPv6 address of all zeros.
    """
    code = "<" if order.byte_order == "little" else ">"
    data = struct.pack(f"{code}{len(registers)}H", *registers)
    if encoding == "eui48":  # 4 registers, the first two bytes are padding
        mac = data[2:8]
        return None if mac in (b"\0" * 6, b"\xff" * 6) else ":".join(f"{b:02X}" for b in mac)
    if encoding == "ipv6addr":  # pysunspec2 writes it as four groups of eight hex digits
        return None if not any(data) else ":".join(data[i : i + 4].hex().upper() for i in range(0, 16, 4))
    if not data or data[0] == 0:
        return None
    return data.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()


def is_not_implemented(point: RegisterPoint, raw: Raw) -> bool:
    if isinstance(raw, float):
        return math.isnan(raw)
    if point.accumulator:
        return raw == 0
    return point.sentinel is not None and raw == point.sentinel


def scale_value(
    point: RegisterPoint, raw: Raw, raws: dict[str, Raw]
) -> tuple[float | None, Quality]:
    """Engineering value of one numeric point; ``raws`` holds the scale-factor points read in the same cycle."""
    if isinstance(raw, str):
        return None, Quality.GOOD
    if raw is None or is_not_implemented(point, raw):
        return None, Quality.NOT_IMPLEMENTED
    value = raw * point.scale if point.scale != 1.0 else float(raw)
    if point.scale_factor is not None:
        sf = raws.get(point.scale_factor)
        if sf is None or sf == -0x8000 or isinstance(sf, str):
            return None, Quality.NOT_IMPLEMENTED
        value = value * 10.0 ** int(sf)
    if math.isinf(value):
        return None, Quality.NOT_IMPLEMENTED
    value += point.offset
    return value, Quality.SUSPECT if point.out_of_range(value) else Quality.GOOD


def flag_names(point: RegisterPoint, raw: Raw) -> list[str]:
    """Names of the set bits of an event bitfield (unnamed bits as ``bit<N>``)."""
    if not isinstance(raw, int) or raw < 0:
        return []
    return [point.flags.get(bit, f"bit{bit}") for bit in range(raw.bit_length()) if raw >> bit & 1]


def state_name(point: RegisterPoint, raw: Raw) -> str | None:
    return point.states.get(raw) if isinstance(raw, int) else None
