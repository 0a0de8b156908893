"""Request planning: turn a device's register points into the fewest Modbus reads.

One request per value is what makes other pollers slow (Home Assistant core#48497); one read per device and
register type is what makes them read forbidden registers. The planner sits in between, like Telegraf's
``request.go``: sort the points by address and grow a read while the next point

- has the same register type (holding registers and input registers are different functions),
- starts at most ``max_gap`` registers after the read's end (reading a few unused registers is cheaper than
  another round trip),
- keeps the read within ``max_registers_per_read`` (125 is the protocol's limit for FC3/FC4),
- and the registers the read would cover, gap included, touch no ``forbidden`` range.

Worked example (the golden test in ``tests/collectors/test_planner.py``): points at 0 (float32), 2 (float32),
10 (uint16), 30 (uint16), 100 (uint32) with max_gap 10, max 125 and forbidden [40, 64):
0-3 and 10 are 6 registers apart (gap 4..9 is 6 <= 10): one read ``0+11``; 30 is 19 registers after 11: a
new read ``30+1``; 100 would bridge 31..99 through the forbidden range: a new read ``100+2``. Three reads.

Points are planned per polling group, because each group has its own interval. A SunSpec value is only
meaningful with the scale factor read in the same cycle (VOLTTRON#1701), so each group's plan also reads the
scale-factor points its values name, even when those belong to another group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.template import ModbusTemplate, RegisterPoint

FUNCTION_CODE = {"holding": 3, "input": 4}


@dataclass(frozen=True)
class ReadBlock:
    """One Modbus read: ``count`` registers of ``register_type`` from ``address``, carrying ``points``."""

    register_type: str
    address: int
    count: int
    points: tuple[RegisterPoint, ...]

    @property
    def end(self) -> int:
        return self.address + self.count

    def __str__(self) -> str:
        return f"{self.register_type} {self.address}+{self.count}"


@dataclass(frozen=True)
class PlanLimits:
    max_registers_per_read: int = 125
    max_gap: int = 10
    forbidden: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, template: ModbusTemplate) -> PlanLimits:
        return cls(template.max_registers_per_read, template.max_gap, tuple(map(tuple, template.forbidden)))  # type: ignore[arg-type]

    def touches_forbidden(self, start: int, end: int) -> bool:
        return any(start < f_end and f_start < end for f_start, f_end in self.forbidden)


def plan_reads(points: Iterable[RegisterPoint], limits: PlanLimits) -> list[ReadBlock]:
    """The fewest reads that cover ``points`` under ``limits`` (greedy by address, which is optimal here:
    a read can always be extended to the next point when the rules allow, never needs to skip one)."""
    blocks: list[ReadBlock] = []
    for register_type in ("holding", "input"):
        chosen = sorted((p for p in points if p.register_type == register_type), key=lambda p: (p.address, p.end))
        blocks += _coalesce(register_type, chosen, limits)
    return blocks


def _coalesce(register_type: str, points: Sequence[RegisterPoint], limits: PlanLimits) -> list[ReadBlock]:
    blocks: list[ReadBlock] = []
    current: list[RegisterPoint] = []
    start = end = 0
    for p in points:
        if p.count > limits.max_registers_per_read:
            raise ValueError(
                f"point {p.name!r} at {p.address} spans {p.count} registers, more than "
                f"max_registers_per_read={limits.max_registers_per_read}; raise the limit or shorten the point"
            )
        new_end = max(end, p.end)
        fits = (
            current
            and p.address - end <= limits.max_gap
            and new_end - start <= limits.max_registers_per_read
            and not limits.touches_forbidden(start, new_end)
        )
        if fits:
            current.append(p)
            end = new_end
            continue
        if current:
            blocks.append(ReadBlock(register_type, start, end - start, tuple(current)))
        current, start, end = [p], p.address, p.end
    if current:
        blocks.append(ReadBlock(register_type, start, end - start, tuple(current)))
    return blocks


def group_points(points: Sequence[RegisterPoint], group: str) -> list[RegisterPoint]:
    """Points of ``group`` plus the scale-factor points they depend on (read in the same cycle)."""
    by_name = {p.name: p for p in points}
    chosen = {p.name: p for p in points if p.group == group}
    for p in list(chosen.values()):
        if p.scale_factor and p.scale_factor in by_name:
            chosen.setdefault(p.scale_factor, by_name[p.scale_factor])
    return list(chosen.values())


def plan_device(points: Sequence[RegisterPoint], limits: PlanLimits) -> dict[str, list[ReadBlock]]:
    """Reads per polling group for one device."""
    groups = sorted({p.group for p in points})
    return {g: plan_reads(group_points(points, g), limits) for g in groups}
