"""The register encoder is the exact inverse of a plain struct decoder, in every byte and word order."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from models.sunspec import SUNS_MARKER
from models.template import ModbusTemplate, RegisterPoint
from models.vocabulary import STRUCT_CODE, DataType
from simulators.registers import RegisterImage, encode_device, encode_point, pack_raw, write_sunspec_frame

ORDERS = st.sampled_from(["big", "little"])


def _decode(words: list[int], dtype: DataType, byte_order: str, word_order: str) -> float:
    ordered = words[::-1] if word_order == "little" else words
    raw = b"".join(w.to_bytes(2, "little" if byte_order == "little" else "big") for w in ordered)
    return float(struct.unpack(">" + STRUCT_CODE[dtype], raw)[0])


@given(st.integers(-0x80000000, 0x7FFFFFFF), ORDERS, ORDERS)
def test_int32_round_trips(value: int, byte_order: str, word_order: str) -> None:
    words = pack_raw(DataType.INT32, value, byte_order, word_order)
    assert _decode(words, DataType.INT32, byte_order, word_order) == value


@given(st.floats(allow_nan=False, allow_infinity=False, width=32), ORDERS, ORDERS)
def test_float32_round_trips(value: float, byte_order: str, word_order: str) -> None:
    words = pack_raw(DataType.FLOAT32, value, byte_order, word_order)
    assert _decode(words, DataType.FLOAT32, byte_order, word_order) == value


def test_unsigned_counter_wraps_like_a_meter() -> None:
    assert pack_raw(DataType.UINT32, 2**32 + 5) == [0, 5]  # rolls over to 5, as the register would
    assert pack_raw(DataType.UINT16, 70000) == [70000 - 65536]


@given(st.floats(0, 3000, allow_nan=False))
def test_scaled_point_keeps_its_resolution(kwh: float) -> None:
    point = RegisterPoint(name="e", address=0, type=DataType.UINT32, scale=0.01, unit="kWh")
    words = encode_point(point, kwh)
    assert abs((words[0] << 16 | words[1]) * 0.01 - kwh) <= 0.005 + 1e-9  # rounded to the 0.01 kWh step


def test_missing_sunspec_points_read_as_their_sentinels() -> None:
    template = ModbusTemplate(id="inv", sunspec={"base": 40000, "models": [1, 103]})
    image = RegisterImage()
    write_sunspec_frame(image, template)
    encode_device(image, template, {"W": 1000.0})
    assert image.read("holding", 40000, 2) == list(SUNS_MARKER)
    block = image.read("holding", 40072, 50)
    assert block[0] == 0xFFFF  # A (uint16) not implemented
    assert block[12] != 0x8000 and block[14] == 0xFFFF  # W present; Hz (uint16) missing
    assert block[22] == 0 and block[23] == 0  # WH acc32 (offsets 22-23): 0 means not implemented
    assert block[36] == 0xFFFF  # St (enum16) missing
    assert math.isclose(block[12] * 10 ** (block[13] - 0x10000 if block[13] & 0x8000 else block[13]), 1000.0)
