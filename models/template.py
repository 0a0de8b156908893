"""Device templates: register maps for Modbus devices and payload mappings for MQTT gateways.

A template is data (``config/templates/*.yaml``) validated into frozen models. A SunSpec template names the
official SunSpec models it carries; their register maps are expanded from the JSON model definitions that
pysunspec2 ships (see :mod:`models.sunspec`), never typed in by hand.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from models.vocabulary import ORDER_AXES, REGISTER_COUNT, UNITS, DataType, PointKind, RegisterOrder

Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of {sorted(u for u in UNITS if u)}")
    return unit


Unit = Annotated[str, AfterValidator(_check_unit)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Axis = Literal["big", "little"]
Axes = tuple[str, str]  # (byte order within a register, word order across registers)
_WIDE = (DataType.INT64, DataType.UINT64, DataType.FLOAT64)


def _one_spelling(order: RegisterOrder | None, byte_order: str | None, word_order: str | None) -> None:
    if order is not None and (byte_order or word_order):
        raise ValueError(
            f"'order: {order}' and 'byte_order'/'word_order' say the same thing twice; keep only 'order'"
        )


def check_range(bounds: tuple[float, float] | None) -> None:
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError(f"range {list(bounds)}: write it as [min, max] with min < max")


class Plausible(Frozen):
    """A point that may say which values are physically plausible (``range: [min, max]``, after scaling).
    A reading outside is stored with quality ``suspect``: kept for audit, never trusted as good."""

    range: tuple[float, float] | None = None  # noqa: A003 (the integrators' word; a field, not a builtin call)

    def out_of_range(self, value: float) -> bool:
        r = self.range
        return r is not None and not r[0] <= value <= r[1]


class RegisterPoint(Plausible):
    """One value in a register map. ``value = raw * scale * 10**sf + offset``.

    ``order`` (ABCD, CDAB, ... or big/little) replaces the template's order for this point; ``byte_order`` or
    ``word_order`` replaces only that axis (a meter with CDAB floats and ABCD counters in one map).
    """

    name: Name
    address: int = Field(ge=0, le=65535)
    register_type: Literal["holding", "input"] = "holding"
    type: DataType
    length: int | None = Field(default=None, ge=1, le=125, description="registers, strings only")
    encoding: Literal["utf-8", "eui48", "ipv6addr"] = "utf-8"  # how a string point's bytes read
    scale: float = 1.0
    offset: float = 0.0
    scale_factor: Name | None = None  # name of a SunSpec *_SF point read in the same cycle
    unit: Unit = ""
    kind: PointKind = PointKind.OTHER
    group: Name = "default"  # polling group; the device sets each group's interval
    sentinel: int | None = None  # raw value meaning "not implemented" (SunSpec: 0x8000, 0xFFFF, ...)
    accumulator: bool = False  # SunSpec acc16/32/64: 0 means not implemented
    flags: dict[int, str] = Field(default_factory=dict)  # bit -> name, for event bitfields
    states: dict[int, str] = Field(default_factory=dict)  # value -> name, for enumerations
    order: RegisterOrder | None = None
    byte_order: Axis | None = None
    word_order: Axis | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RegisterPoint:
        if self.type is DataType.STRING and self.length is None:
            raise ValueError("a string point needs 'length' (registers)")
        _one_spelling(self.order, self.byte_order, self.word_order)
        check_range(self.range)
        if self.order is not None and len(self.order) in (4, 8):
            wide = self.type in _WIDE
            if wide and len(self.order) == 4:
                raise ValueError(
                    f"point {self.name!r} is {self.type} (4 registers): name its order with 8 letters, "
                    f"{_widen(self.order)} for {self.order}"
                )
            if not wide and len(self.order) == 8:
                raise ValueError(
                    f"point {self.name!r} is {self.type}: name its order with 4 letters "
                    f"({_narrow(self.order)} for {self.order}); 8-letter orders are for 64-bit points"
                )
        return self

    @property
    def count(self) -> int:
        """Registers this point occupies."""
        return self.length if self.type is DataType.STRING else REGISTER_COUNT[self.type]  # type: ignore[return-value]

    @property
    def end(self) -> int:
        """First register after this point."""
        return self.address + self.count

    def axes(self, default: Axes) -> Axes:
        """(byte order, word order) of this point, given its template's."""
        if self.order is not None:
            return ORDER_AXES[self.order]
        return self.byte_order or default[0], self.word_order or default[1]


def _widen(order: RegisterOrder) -> str:
    return next(n for n, a in list(ORDER_AXES.items())[4:8] if a == ORDER_AXES[order])


def _narrow(order: RegisterOrder) -> str:
    return next(n for n, a in list(ORDER_AXES.items())[:4] if a == ORDER_AXES[order])


class SunSpecSpec(Frozen):
    """A SunSpec device: the chain of models starting at ``base`` ('SunS' marker)."""

    base: Literal[0, 40000, 50000] = 40000
    models: list[int] = Field(min_length=1)
    groups: dict[int, Name] = Field(default_factory=dict)  # model id -> polling group


class ModbusTemplate(Frozen):
    id: str
    protocol: Literal["modbus"] = "modbus"
    description: str = ""
    manufacturer: str = ""
    order: RegisterOrder | None = None  # default for every point: ABCD unless said otherwise
    byte_order: Axis | None = None
    word_order: Axis | None = None
    max_registers_per_read: int = Field(default=125, ge=1, le=125)
    max_gap: int = Field(default=10, ge=0, le=125, description="registers bridged between points")
    forbidden: list[tuple[int, int]] = Field(default_factory=list, description="[start, end) never read")
    sunspec: SunSpecSpec | None = None
    points: list[RegisterPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ModbusTemplate:
        _one_spelling(self.order, self.byte_order, self.word_order)
        if self.sunspec is not None and self.default_axes != ("big", "big"):
            raise ValueError("SunSpec devices are big-endian (ABCD) by the standard; drop the template's order "
                             "and give vendor points their own 'order'")
        names = [p.name for p in self.points]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate point names: {dupes}")
        if not self.points and self.sunspec is None:
            raise ValueError("a modbus template needs 'points' or 'sunspec'")
        known = set(names)
        for p in self.points:
            if p.scale_factor and p.scale_factor not in known:
                raise ValueError(f"point {p.name!r}: scale_factor {p.scale_factor!r} is not a point here")
            for start, end in self.forbidden:
                if p.address < end and start < p.end:
                    raise ValueError(f"point {p.name!r} at {p.address} lies in forbidden range [{start}, {end})")
        return self

    @property
    def default_axes(self) -> Axes:
        """(byte order, word order) of the points that do not set their own."""
        if self.order is not None:
            return ORDER_AXES[self.order]
        return self.byte_order or "big", self.word_order or "big"

    def axes_of(self, point: RegisterPoint) -> Axes:
        return point.axes(self.default_axes)

    def point(self, name: str) -> RegisterPoint:
        for p in self.points:
            if p.name == name:
                return p
        raise KeyError(name)


class MqttPoint(Plausible):
    """One value in a JSON payload. ``path`` is dotted with optional list indexes: ``chw.supply[0].temp``."""

    name: Name
    path: str = Field(min_length=1)
    unit: Unit = ""
    kind: PointKind = PointKind.OTHER
    scale: float = 1.0
    offset: float = 0.0
    states: dict[str, float] = Field(default_factory=dict)  # text state -> stored number

    @model_validator(mode="after")
    def _range(self) -> MqttPoint:
        check_range(self.range)
        return self


class MqttTemplate(Frozen):
    id: str
    protocol: Literal["mqtt"] = "mqtt"
    description: str = ""
    topic: str = Field(description="topic with {topic} standing for the device's topic variable")
    timestamp_path: str | None = None  # epoch seconds or ISO 8601 in the payload; else receive time
    points: list[MqttPoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> MqttTemplate:
        names = [p.name for p in self.points]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate point names: {dupes}")
        if "{topic}" not in self.topic:
            raise ValueError("'topic' must contain {topic}, the device's own part of the topic")
        return self


Template = Annotated[ModbusTemplate | MqttTemplate, Field(discriminator="protocol")]
