"""BACnet/IP devices: how to reach one, and which of its objects a template reads.

A BACnet device is named by its address (``host:port``, UDP, 47808 by default) and its device instance. A
template lists objects (``analog-input 3``), not registers: the device itself knows the encoding, so there is
no data type, byte order or scale to declare. What is read is always ``present-value`` with
``status-flags`` beside it (ASHRAE 135 §12: in-alarm, fault, overridden, out-of-service), which becomes the
reading's quality. Binary objects give 0/1 (inactive/active); multi-state objects give their state number
(1-based, as BACnet counts them).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.template import Name, Unit
from models.vocabulary import PointKind

ObjectType = Literal[
    "analog-input", "analog-output", "analog-value",
    "binary-input", "binary-output", "binary-value",
    "multi-state-input", "multi-state-output", "multi-state-value",
]
OBJECT_TYPES: tuple[str, ...] = ObjectType.__args__  # type: ignore[attr-defined]
MAX_INSTANCE = 4_194_302  # 22-bit object instance; 4194303 is "unspecified" (ASHRAE 135 §12.11.1)
DEFAULT_PORT = 47808  # 0xBAC0


# BACnet engineering units (ASHRAE 135 §21, as bacpypes3 spells them) -> ours; both thermal and electric kW
# are BACnet "kilowatts", so a discovered "kilowatts" reads as kW and is renamed kW_th by hand where it is heat.
UNITS_FROM_BACNET: dict[str, str] = {
    "degrees-celsius": "degC", "kilowatts": "kW", "watts": "W", "megawatts": "MW", "percent": "%",
    "parts-per-million": "ppm", "kilowatt-hours": "kWh", "watt-hours": "Wh", "megawatt-hours": "MWh",
    "cubic-meters-per-hour": "m3/h", "cubic-meters": "m3", "liters": "L", "volts": "V", "amperes": "A",
    "hertz": "Hz", "watts-per-square-meter": "W/m2", "meters-per-second": "m/s", "revolutions-per-minute": "rpm",
    "hours": "h", "seconds": "s", "kilovolt-amperes": "kVA", "volt-amperes": "VA",
    "kilovolt-amperes-reactive": "kvar", "volt-amperes-reactive": "var", "micrograms-per-cubic-meter": "ug/m3",
    "no-units": "",
}
UNITS_TO_BACNET: dict[str, str] = {
    **{ours: theirs for theirs, ours in UNITS_FROM_BACNET.items()}, "kW_th": "kilowatts", "kWh_th": "kilowatt-hours",
    "count": "no-units",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BacnetConnection(Frozen):
    """A BACnet/IP device: ``{host, port, device_instance}``. ``cov: false`` forces polling even when the device
    accepts SubscribeCOV (some controllers limit their subscriptions; polling is always correct)."""

    host: str
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    device_instance: int = Field(ge=0, le=MAX_INSTANCE)
    timeout_s: float = Field(default=2.0, gt=0)
    cov: bool = True


class BacnetPoint(Frozen):
    """One object of the device: its ``present-value`` is the point's value."""

    name: Name
    object_type: ObjectType
    instance: int = Field(ge=0, le=MAX_INSTANCE)
    unit: Unit = ""
    kind: PointKind = PointKind.OTHER
    group: Name = "default"  # polling group; the device sets each group's interval
    states: dict[int, str] = Field(default_factory=dict)  # multi-state number -> name (for display)

    @property
    def object_id(self) -> str:
        """bacpypes3's spelling of the object identifier, ``analog-input,3``."""
        return f"{self.object_type},{self.instance}"


class BacnetTemplate(Frozen):
    id: str
    protocol: Literal["bacnet"] = "bacnet"
    description: str = ""
    manufacturer: str = ""
    max_objects_per_request: int = Field(
        default=0, ge=0, le=500, description="cap on objects per ReadPropertyMultiple; 0 = as the device's APDU allows"
    )
    points: list[BacnetPoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> BacnetTemplate:
        names = [p.name for p in self.points]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate point names: {dupes}")
        objects = [p.object_id for p in self.points]
        twice = sorted({o for o in objects if objects.count(o) > 1})
        if twice:
            raise ValueError(f"objects read by two points: {twice}; give each object one point")
        return self
