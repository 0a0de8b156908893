"""SunSpec "not implemented" values become null, one test per SunSpec type, each built from pysunspec2's own
model definitions and its own sentinel bytes (``sunspec2.mb.create_unimpl_value``), not from our tables.

Each case also decodes an implemented value and compares it with pysunspec2's own decoding, so a decoder that
returned None for everything would fail.
"""

from __future__ import annotations

import asyncio
import json
import struct
from functools import cache
from importlib import resources
from typing import Any

import pytest
from sunspec2 import mb, mdef

from collectors.decode import BlockDecoder, ByteOrder
from collectors.sunspec_discovery import Discoverer, describe
from models.sunspec import SUNS_MARKER, model_points
from models.template import RegisterPoint
from tests.support.modbus import RegisterServer

# Every SunSpec point type but pad (pysunspec2's mb.unimpl_value keys); float64 is in no shipped model.
TYPES = sorted(t for t in mb.unimpl_value if t not in (mdef.TYPE_PAD, mdef.TYPE_FLOAT64))
IMPLEMENTED: dict[str, Any] = {"string": "Zc", "eui48": "00:11:22:33:44:55", "float32": 2.5,
                               "ipv6addr": "20010DB8:00000000:00000000:00000001", "int16": -7, "sunssf": -2,
                               "int32": -70000, "int64": -(2**40)}


@cache
def model_files() -> list[dict[str, Any]]:
    folder = resources.files("sunspec2") / "models" / "json"
    models = [json.loads(p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.startswith("model_")]
    return sorted(models, key=lambda m: int(m["id"]))


def first_point_of(stype: str) -> tuple[int, str]:
    """(model id, point name) of the first top-level point of this type among pysunspec2's models."""
    for m in model_files():
        for p in m["group"]["points"][2:]:  # after ID and L
            if p["type"] == stype:
                return int(m["id"]), str(p["name"])
    raise LookupError(stype)


def model_registers(model_id: int, name: str, data: bytes) -> tuple[list[int], list[RegisterPoint]]:
    """ID, L and every register of the model zero but the point ``name``, which holds ``data``."""
    points = model_points(model_id, 0)
    target = next(p for p in points if p.name == name)
    length = sum(int(p["size"]) for m in model_files() if m["id"] == model_id for p in m["group"]["points"])
    registers = [model_id, length - 2] + [0] * (length - 2)
    registers[target.address : target.end] = struct.unpack(f">{len(data) // 2}H", data)
    return registers, points


def decoded(stype: str, data: bytes) -> dict[str, Any]:
    model_id, name = first_point_of(stype)
    registers, points = model_registers(model_id, name, data)
    raws = BlockDecoder(0, len(registers), points, ByteOrder()).raw(registers)
    return describe(points, raws)[name]


def implemented_bytes(stype: str, size: int) -> bytes:
    info = mb.point_type_info[stype]
    value = IMPLEMENTED.get(stype, 7)
    data = info.to_data(value, 2 * size) if stype == "string" else info.to_data(value)
    return data.ljust(2 * size, b"\0")


@pytest.mark.parametrize("stype", TYPES)
def test_not_implemented_value_of_each_sunspec_type_is_null(stype: str) -> None:
    model_id, name = first_point_of(stype)
    size = next(int(p["size"]) for m in model_files() if m["id"] == model_id for p in m["group"]["points"]
                if p["name"] == name)
    row = decoded(stype, mb.create_unimpl_value(stype, 2 * size))
    assert row["value"] is None and row["quality"] == "not_implemented", (model_id, name, row)
    good = implemented_bytes(stype, size)
    row = decoded(stype, good)
    assert row["quality"] == "good", (model_id, name, row)
    expected = mb.point_type_info[stype].data_to(good)
    if stype in ("eui48", "ipv6addr", "string"):
        assert row["value"] == expected.rstrip("\0")
    else:
        assert row["value"] == pytest.approx(expected)


def test_float64_nan_is_null_and_a_number_is_kept() -> None:
    points = [RegisterPoint(name="x", address=0, type="float64")]  # type: ignore[arg-type]
    nan = mb.create_unimpl_value(mdef.TYPE_FLOAT64)
    raws = BlockDecoder(0, 4, points, ByteOrder()).raw(list(struct.unpack(">4H", nan)))
    assert describe(points, raws)["x"] == {"value": None, "unit": "", "quality": "not_implemented"}
    raws = BlockDecoder(0, 4, points, ByteOrder()).raw(list(struct.unpack(">4H", struct.pack(">d", 1.5))))
    assert describe(points, raws)["x"]["value"] == 1.5


def test_walking_pysunspec2s_all_types_model_over_modbus_tcp_gives_no_numbers(register_server: RegisterServer) -> None:
    # model 63001 is pysunspec2's test model carrying one point of each type; serve every point not implemented
    model = next(m for m in model_files() if m["id"] == 63001)
    length = sum(int(p["size"]) for p in model["group"]["points"]) - 2
    register_server.set_registers(40000, list(SUNS_MARKER))
    data = b"".join(mb.create_unimpl_value(p["type"], 2 * int(p["size"])) if p["type"] != "pad" else b"\0\0"
                    for p in model["group"]["points"][2:])
    register_server.set_registers(40002, [63001, length, *struct.unpack(f">{len(data) // 2}H", data)])
    register_server.set_registers(40004 + length, [0xFFFF, 0])
    discoverer = Discoverer("127.0.0.1", register_server.port, 1)
    try:
        _, models = asyncio.run(discoverer.walk())
    finally:
        discoverer.close()
    rows = models[0].points
    assert len(rows) >= len(TYPES)
    assert {n: r["value"] for n, r in rows.items() if r["value"] is not None} == {}
    assert {r["quality"] for r in rows.values()} == {"not_implemented"}
