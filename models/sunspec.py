"""SunSpec model definitions, read from the official JSON models that pysunspec2 ships (Apache-2.0).

A SunSpec device starts with the 'SunS' marker (two registers) at its base address, then a chain of models,
each ``ID, L, <L registers>``, ending with ID 0xFFFF. This module turns a model definition into our
:class:`~models.template.RegisterPoint` list at a given address, so register maps are never typed by hand.
Only a model's fixed top-level group is expanded; repeating groups are left to the model's own length.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from models.template import RegisterPoint, SunSpecSpec
from models.vocabulary import DataType, PointKind

SUNS_MARKER = (0x5375, 0x6E53)  # 'SunS'
END_MODEL_ID = 0xFFFF
BASE_ADDRESSES = (40000, 0, 50000)

# SunSpec type -> (our type, "not implemented" value as decoded, accumulator), as pysunspec2's
# ``sunspec2.mb.unimpl_value`` has them. NaN (float32/64) and the text types (a string whose first byte is NUL,
# an all-zero or all-0xFF EUI-48, an all-zero IPv6 address) are checked by the decoder; ``pad`` stays out.
_TYPES: dict[str, tuple[DataType, int | None, bool]] = {
    "int16": (DataType.INT16, -0x8000, False),
    "uint16": (DataType.UINT16, 0xFFFF, False),
    "count": (DataType.UINT16, 0xFFFF, False),
    "acc16": (DataType.UINT16, 0, True),
    "enum16": (DataType.UINT16, 0xFFFF, False),
    "bitfield16": (DataType.UINT16, 0xFFFF, False),
    "sunssf": (DataType.INT16, -0x8000, False),
    "int32": (DataType.INT32, -0x80000000, False),
    "uint32": (DataType.UINT32, 0xFFFFFFFF, False),
    "acc32": (DataType.UINT32, 0, True),
    "enum32": (DataType.UINT32, 0xFFFFFFFF, False),
    "bitfield32": (DataType.UINT32, 0xFFFFFFFF, False),
    "ipaddr": (DataType.UINT32, 0, False),
    "int64": (DataType.INT64, -0x8000000000000000, False),
    "uint64": (DataType.UINT64, 0xFFFFFFFFFFFFFFFF, False),
    "acc64": (DataType.UINT64, 0, True),
    "float32": (DataType.FLOAT32, None, False),  # NaN is the sentinel; the decoder checks it
    "float64": (DataType.FLOAT64, None, False),
    "string": (DataType.STRING, None, False),
    "eui48": (DataType.STRING, None, False),
    "ipv6addr": (DataType.STRING, None, False),
}
_TEXT_ENCODING = {"eui48": "eui48", "ipv6addr": "ipv6addr"}
_UNITS = {"W": "W", "Wh": "Wh", "A": "A", "V": "V", "Hz": "Hz", "C": "degC", "Pct": "%", "var": "var", "VA": "VA"}
_KIND_BY_UNIT = {
    "W": PointKind.POWER,
    "A": PointKind.CURRENT,
    "V": PointKind.VOLTAGE,
    "Hz": PointKind.FREQUENCY,
    "C": PointKind.TEMPERATURE,
    "var": PointKind.REACTIVE_POWER,
    "Pct": PointKind.PERCENT,
}


@cache
def model_definition(model_id: int) -> dict[str, Any]:
    """The official JSON definition of a SunSpec model, e.g. 103 (three-phase inverter)."""
    path = resources.files("sunspec2") / "models" / "json" / f"model_{model_id}.json"
    if not path.is_file():
        raise KeyError(f"SunSpec model {model_id} is not among pysunspec2's model definitions")
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def model_name(model_id: int) -> str:
    return str(model_definition(model_id)["group"]["name"])


def model_length(model_id: int) -> int:
    """Registers after the ID and L header (the value of L) for the fixed group."""
    return sum(int(p["size"]) for p in model_definition(model_id)["group"]["points"]) - 2


def _kind(pdef: dict[str, Any]) -> PointKind:
    stype = pdef["type"]
    if stype == "sunssf":
        return PointKind.SCALE_FACTOR
    if stype.startswith("bitfield"):
        return PointKind.EVENT_BITFIELD
    if stype.startswith("enum"):
        return PointKind.STATE
    if _TYPES[stype][0] is DataType.STRING:
        return PointKind.TEXT
    if stype.startswith("acc") and pdef.get("units") == "Wh":
        return PointKind.ENERGY_COUNTER
    return _KIND_BY_UNIT.get(pdef.get("units", ""), PointKind.OTHER)


def _point(pdef: dict[str, Any], name: str, address: int, sf_name: str | None, group: str) -> RegisterPoint:
    dtype, sentinel, acc = _TYPES[pdef["type"]]
    symbols = {int(s["value"]): str(s["name"]) for s in pdef.get("symbols", [])}
    is_bits = pdef["type"].startswith("bitfield")
    return RegisterPoint(
        name=name,
        address=address,
        type=dtype,
        length=int(pdef["size"]) if dtype is DataType.STRING else None,
        encoding=_TEXT_ENCODING.get(pdef["type"], "utf-8"),  # type: ignore[arg-type]
        scale_factor=sf_name,
        unit=_UNITS.get(pdef.get("units", ""), ""),
        kind=_kind(pdef),
        group=group,
        sentinel=sentinel,
        accumulator=acc,
        flags=symbols if is_bits else {},
        states={} if is_bits else symbols,
    )


def model_points(model_id: int, address: int, prefix: str = "", group: str = "default") -> list[RegisterPoint]:
    """Register points of one model whose ID register sits at ``address``.

    ID and L and pads are skipped but still advance the address.
    """
    points: list[RegisterPoint] = []
    addr = address
    for pdef in model_definition(model_id)["group"]["points"]:
        name = str(pdef["name"])
        if name not in ("ID", "L") and pdef["type"] in _TYPES:
            sf = pdef.get("sf")
            sf_name = f"{prefix}{sf}" if isinstance(sf, str) else None
            points.append(_point(pdef, f"{prefix}{name}", addr, sf_name, group))
        addr += int(pdef["size"])
    return points


def expand(spec: SunSpecSpec) -> list[RegisterPoint]:
    """Points of a SunSpec template laid out in the standard chain: 'SunS', then each model in order.

    Names are the SunSpec point names; where two models share a name, the later one is prefixed ``m<id>_``.
    """
    points: list[RegisterPoint] = []
    seen: set[str] = set()
    addr = spec.base + 2
    for mid in spec.models:
        plain = {str(p["name"]) for p in model_definition(mid)["group"]["points"]} - {"ID", "L"}
        prefix = f"m{mid}_" if plain & seen else ""
        group = spec.groups.get(mid, "default")
        block = model_points(mid, addr, prefix, group)
        points.extend(block)
        seen.update(p.name for p in block)
        addr += model_length(mid) + 2
    return points


def chain_layout(spec: SunSpecSpec) -> list[tuple[int, int, int]]:
    """(model id, address of its ID register, L) for each model of a standard chain, for servers and tests."""
    out = []
    addr = spec.base + 2
    for mid in spec.models:
        out.append((mid, addr, model_length(mid)))
        addr += model_length(mid) + 2
    return out
