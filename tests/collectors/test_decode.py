"""Block decoding: byte/word order, scale and SunSpec scale factors, sentinels, bitfields, strings."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.decode import BlockDecoder, ByteOrder, decode_string, flag_names, scale_value
from models.reading import Quality
from models.template import RegisterPoint


def pt(name: str, address: int, type_: str, **kw: object) -> RegisterPoint:
    return RegisterPoint(name=name, address=address, type=type_, **kw)  # type: ignore[arg-type]


def regs(data: bytes) -> list[int]:
    return list(struct.unpack(f">{len(data) // 2}H", data))


# ABCD value bytes 0x01020304 laid out in registers for each (byte order, word order)
ORDERS = [
    (("big", "big"), [0x0102, 0x0304]),
    (("little", "little"), [0x0403, 0x0201]),
    (("little", "big"), [0x0201, 0x0403]),
    (("big", "little"), [0x0304, 0x0102]),
]


@pytest.mark.parametrize(("order", "registers"), ORDERS)
def test_uint32_in_every_byte_and_word_order(order: tuple[str, str], registers: list[int]) -> None:
    decoder = BlockDecoder(0, 2, [pt("v", 0, "uint32")], ByteOrder(*order))
    assert decoder.raw(registers)["v"] == 0x01020304


def test_float32_block_with_gaps_decodes_each_point_at_its_address() -> None:
    points = [pt("a", 0, "float32"), pt("b", 4, "int16"), pt("c", 6, "float64")]
    data = struct.pack(">f", 230.5) + b"\0\0" * 2 + struct.pack(">h", -7) + b"\0\0" + struct.pack(">d", 1e6)
    raw = BlockDecoder(0, 10, points, ByteOrder()).raw(regs(data))
    assert raw == {"a": 230.5, "b": -7, "c": 1e6}


@given(st.floats(allow_nan=False, width=32), st.sampled_from(["big", "little"]), st.sampled_from(["big", "little"]))
def test_float32_round_trips_in_any_order(value: float, byte_order: str, word_order: str) -> None:
    raw = struct.pack(">f", value)
    words = [raw[0:2], raw[2:4]]
    if word_order == "little":
        words.reverse()
    if byte_order == "little":
        words = [w[::-1] for w in words]
    got = BlockDecoder(0, 2, [pt("v", 0, "float32")], ByteOrder(byte_order, word_order)).raw(regs(b"".join(words)))
    assert got["v"] == value


def test_overlapping_points_are_decoded_both() -> None:
    points = [pt("whole", 0, "uint32"), pt("high", 0, "uint16")]
    raw = BlockDecoder(0, 2, points, ByteOrder()).raw([0x0001, 0x0002])
    assert raw == {"whole": 0x00010002, "high": 1}


def test_sunspec_scale_factor_applies_ten_to_the_power() -> None:
    w = pt("W", 0, "int16", scale_factor="W_SF", sentinel=-0x8000)
    # raw 12850 with W_SF = -1 -> 1285.0 W
    assert scale_value(w, 12850, {"W_SF": -1}) == (pytest.approx(1285.0), Quality.GOOD)


def test_scale_and_offset() -> None:
    t = pt("t", 0, "int16", scale=0.1, offset=-40.0)
    # -123 * 0.1 - 40 = -52.3
    value, quality = scale_value(t, -123, {})
    assert value == pytest.approx(-52.3) and quality is Quality.GOOD


@pytest.mark.parametrize(
    ("type_", "sentinel", "accumulator", "raw"),
    [("int16", -0x8000, False, -0x8000), ("uint16", 0xFFFF, False, 0xFFFF), ("uint32", 0, True, 0),
     ("float32", None, False, math.nan)],
)
def test_not_implemented_sentinels_are_missing_never_numbers(
    type_: str, sentinel: int | None, accumulator: bool, raw: float
) -> None:
    p = pt("x", 0, type_, sentinel=sentinel, accumulator=accumulator)
    assert scale_value(p, raw, {}) == (None, Quality.NOT_IMPLEMENTED)


def test_value_whose_scale_factor_is_not_implemented_is_missing() -> None:
    w = pt("W", 0, "int16", scale_factor="W_SF")
    assert scale_value(w, 100, {"W_SF": -0x8000}) == (None, Quality.NOT_IMPLEMENTED)


def test_event_bitfield_names_its_set_bits() -> None:
    evt = pt("Evt1", 0, "uint32", flags={0: "GROUND_FAULT", 7: "OVER_TEMP"})
    # 0b1000_0001 = 129: bits 0 and 7; 0x400 sets bit 10 which has no name
    assert flag_names(evt, 129) == ["GROUND_FAULT", "OVER_TEMP"]
    assert flag_names(evt, 0x400) == ["bit10"]


def test_strings_stop_at_nul_and_honour_byte_order() -> None:
    assert decode_string(regs(b"SunSpec\0\0\0"), ByteOrder()) == "SunSpec"
    assert decode_string([0x7553, 0x536E], ByteOrder("little", "big")) == "SunS"


def test_short_response_is_an_error_naming_the_block() -> None:
    with pytest.raises(ValueError, match=r"block 100\+4"):
        BlockDecoder(100, 4, [pt("a", 100, "uint32"), pt("b", 102, "uint32")], ByteOrder()).raw([1, 2])


@pytest.mark.parametrize(("order", "registers"), ORDERS)
def test_wire_bytes_decode_like_registers_in_every_order(order: tuple[str, str], registers: list[int]) -> None:
    decoder = BlockDecoder(0, 3, [pt("v", 0, "uint32"), pt("w", 2, "uint16")], ByteOrder(*order))
    wire = struct.pack(">3H", *registers, 0x0102)  # as the registers come off the wire: big-endian words
    # a single register only has a byte order: 0x0102 as sent, 0x0201 when the template says bytes are swapped
    assert decoder.values(wire) == [0x01020304, 0x0201 if order[0] == "little" else 0x0102]
