"""Meet a device knowing only host, port and unit id: find 'SunS', walk the model chain, decode every point.

Like pysunspec2's ``scan`` (research/aesthetics.md §5) but with our transport and our block decoder: try the
marker at 40000, 0 and 50000; then read ``ID, L`` headers until ID 0xFFFF, reading each model whole (in
reads of at most 125 registers) and decoding its fixed group from the official SunSpec JSON definition.
The same reading-and-decoding path serves a device described by a template (``read_template``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.decode import BlockDecoder, ByteOrder, Raw, flag_names, scale_value, state_name
from collectors.modbus import DeviceReader
from collectors.planner import PlanLimits, ReadBlock, plan_reads
from models.errors import DeviceError, DeviceExceptionResponse
from models.reading import Quality
from models.site import ModbusConnection
from models.sunspec import BASE_ADDRESSES, END_MODEL_ID, SUNS_MARKER, model_name, model_points
from models.template import ModbusTemplate, RegisterPoint
from models.vocabulary import DataType, PointKind

MAX_MODELS = 64  # a real chain has a handful; a broken one must not loop forever


@dataclass
class FoundModel:
    id: int
    name: str
    address: int  # of its ID register
    length: int  # L
    points: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "points": self.points}


def describe(points: list[RegisterPoint], raws: dict[str, Raw]) -> dict[str, dict[str, Any]]:
    """Each point as ``{"value", "unit", "quality"}`` plus ``flags`` for bitfields and ``state`` for enums."""
    out: dict[str, dict[str, Any]] = {}
    for p in points:
        if p.name not in raws:
            continue
        raw = raws[p.name]
        if p.type is DataType.STRING:
            quality = Quality.GOOD if raw is not None else Quality.NOT_IMPLEMENTED
            out[p.name] = {"value": raw, "unit": p.unit, "quality": quality.value}
            continue
        value, quality = scale_value(p, raw, raws)
        row: dict[str, Any] = {"value": value, "unit": p.unit, "quality": quality.value}
        if p.kind is PointKind.EVENT_BITFIELD and quality is Quality.GOOD:
            row["value"] = raw
            row["flags"] = flag_names(p, raw)
        elif p.states and quality is Quality.GOOD:
            row["value"] = raw
            row["state"] = state_name(p, raw)
        out[p.name] = row
    return out


class Discoverer:
    def __init__(self, host: str, port: int, unit_id: int, timeout_s: float = 2.0) -> None:
        self.reader = DeviceReader(f"{host}:{port}/{unit_id}", ModbusConnection(host=host, port=port, unit_id=unit_id),
                                   timeout_s)

    async def registers(self, address: int, count: int) -> list[int]:
        out: list[int] = []
        while count > 0:
            n = min(count, 125)
            out += await self.reader.read(ReadBlock("holding", address, n, ()))
            address, count = address + n, count - n
        return out

    async def find_base(self) -> int:
        for base in BASE_ADDRESSES:
            try:
                if tuple(await self.registers(base, 2)) == SUNS_MARKER:
                    return base
            except DeviceExceptionResponse:
                continue
        raise DeviceError(f"no 'SunS' marker at {', '.join(map(str, BASE_ADDRESSES))}: not a SunSpec device; "
                          "describe it with a template instead (--with-template)", device=self.reader.device_id)

    async def walk(self) -> tuple[int, list[FoundModel]]:
        base = await self.find_base()
        models: list[FoundModel] = []
        addr = base + 2
        for _ in range(MAX_MODELS):
            mid, length = await self.registers(addr, 2)
            if mid == END_MODEL_ID:
                break
            models.append(await self._model(mid, addr, length))
            addr += length + 2
        return base, models

    async def _model(self, mid: int, addr: int, length: int) -> FoundModel:
        try:
            name = model_name(mid)
            points = model_points(mid, addr)
        except KeyError:
            return FoundModel(mid, "unknown", addr, length)
        regs = await self.registers(addr, length + 2)
        fixed = [p for p in points if p.end <= addr + length + 2]
        raws = BlockDecoder(addr, length + 2, fixed, ByteOrder()).raw(regs)
        return FoundModel(mid, name, addr, length, describe(fixed, raws))

    async def read_template(self, template: ModbusTemplate) -> dict[str, dict[str, Any]]:
        from models.resolve import register_points

        points = list(register_points(template))
        order = ByteOrder(*template.default_axes)
        raws: dict[str, Raw] = {}
        for block in plan_reads(points, PlanLimits.of(template)):
            try:
                regs = await self.reader.read(block)
            except DeviceExceptionResponse:
                continue
            raws.update(BlockDecoder(block.address, block.count, block.points, order).raw(regs))
        return describe(points, raws)

    def close(self) -> None:
        self.reader.close()


def template_yaml(base: int, models: list[FoundModel], template_id: str) -> str:
    """A ready ``config/templates/<id>.yaml`` for the chain found (known models only)."""
    known = [m.id for m in models if m.name != "unknown"]
    return (
        f"# Discovered by zerocarbon discover: SunSpec models {known} at base {base}.\n"
        f"id: {template_id}\nprotocol: modbus\ndescription: SunSpec device (models {', '.join(map(str, known))})\n"
        f"sunspec:\n  base: {base}\n  models: [{', '.join(map(str, known))}]\n"
        + ("  groups: {1: nameplate}\n" if 1 in known else "")
    )
