"""Discover a BACnet/IP device: Who-Is/I-Am, its object list, then name, units and present value of each
analog, binary and multi-state object; and the template that reads them.

Everything is read, nothing written. The object list is read whole when the device can send it (segmented),
else one entry at a time (array index 0 is its length), as ASHRAE 135 §12.11.17 allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.primitivedata import ObjectIdentifier

from collectors.bacnet import flags_quality
from collectors.bacnet_client import BacnetLink, Peer, is_error
from collectors.bacnet_plan import batches, objects_per_request
from models.bacnet import OBJECT_TYPES, UNITS_FROM_BACNET, BacnetConnection
from models.errors import DeviceError, DeviceTimeout

DESCRIBE = ["object-name", "present-value", "status-flags", "units", "state-text", "description"]
NAME_BYTES = 4  # object names and state texts are longer than a value: a quarter of the polling batch


@dataclass
class FoundObject:
    object_type: str
    instance: int
    name: str = ""
    description: str = ""
    units: str = ""  # BACnet's name, e.g. degrees-celsius
    value: float | None = None
    quality: str = "good"
    states: dict[int, str] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """Ours, or "" when we have no such unit (kept as ``units`` for the reader)."""
        return UNITS_FROM_BACNET.get(self.units, "")

    def as_json(self) -> dict[str, Any]:
        return {"object": f"{self.object_type},{self.instance}", "object_type": self.object_type,
                "instance": self.instance, "name": self.name, "description": self.description,
                "units": self.units, "unit": self.unit, "value": self.value, "quality": self.quality,
                **({"states": self.states} if self.states else {})}


class BacnetDiscoverer:
    def __init__(self, device_id: str, connection: BacnetConnection, timeout_s: float) -> None:
        self.link = BacnetLink(device_id, connection, timeout_s)

    async def walk(self) -> tuple[Peer, list[FoundObject]]:
        peer = await self.link.who_is()
        found = [FoundObject(t, i) for t, i in await self._object_list(peer) if t in OBJECT_TYPES]
        per = max(1, objects_per_request(peer.max_apdu, peer.segmentation) // NAME_BYTES)
        for batch in batches(found, per):
            by_id = {f"{o.object_type},{o.instance}": o for o in batch}
            for objid, prop, _index, value in await self.link.read(list(by_id), DESCRIBE):
                _describe(by_id[f"{objid[0]},{objid[1]}"], str(prop), value)
        return peer, found

    async def _object_list(self, peer: Peer) -> list[tuple[str, int]]:
        device = ObjectIdentifier(f"device,{peer.instance}")
        try:
            return [(str(t), int(i)) for t, i in await self._read_property(device, "object-list")]
        except DeviceError as whole:
            try:
                count = int(await self._read_property(device, "object-list", 0))
            except DeviceError:
                raise whole from None
            return [(str(t), int(i)) for t, i in
                    [await self._read_property(device, "object-list", n) for n in range(1, count + 1)]]

    async def _read_property(self, objid: Any, prop: str, index: int | None = None) -> Any:
        where = self.link.where([f"{objid[0]},{objid[1]} {prop}"])
        try:
            value = await self.link.app.read_property(self.link.address, objid, prop, index)
        except ErrorRejectAbortNack as exc:
            value = exc
        if isinstance(value, ErrorRejectAbortNack) or is_error(value) or value is None:
            cls = DeviceTimeout if "no-response" in str(value) else DeviceError
            raise cls(f"{where}: {value}", device=self.link.device_id)
        return value

    def close(self) -> None:
        self.link.close()


def _describe(o: FoundObject, prop: str, value: Any) -> None:
    if is_error(value):
        if prop == "present-value":
            o.quality = "device_error"
        return
    if prop == "object-name":
        o.name = str(value)
    elif prop == "description":
        o.description = str(value)
    elif prop == "units":
        o.units = str(value)
    elif prop == "state-text":
        o.states = {i + 1: str(t) for i, t in enumerate(value)}
    elif prop == "status-flags":
        quality = flags_quality(list(value))
        o.quality = quality.value if o.quality == "good" else o.quality
    elif prop == "present-value":
        o.value = float(value)


def _point_name(o: FoundObject, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", o.name).strip("_")[:56] or f"{o.object_type.replace('-', '_')}"
    if not base[0].isalpha():
        base = f"p_{base}"[:56]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _kind(o: FoundObject) -> str:
    if not o.object_type.startswith("analog"):
        return "state"
    return {"degC": "temperature", "kW": "power", "W": "power", "MW": "power", "%": "percent", "ppm": "co2",
            "kWh": "energy_counter", "Wh": "energy_counter", "MWh": "energy_counter", "m3/h": "flow",
            "V": "voltage", "A": "current", "Hz": "frequency"}.get(o.unit, "other")


def template_yaml(template_id: str, peer: Peer, found: list[FoundObject]) -> str:
    """A template for ``config/templates/<template_id>.yaml`` reading every discovered object."""
    taken: set[str] = set()
    points = []
    for o in found:
        point: dict[str, Any] = {"name": _point_name(o, taken), "object_type": o.object_type, "instance": o.instance}
        if o.unit:
            point["unit"] = o.unit
        point["kind"] = _kind(o)
        if o.states:
            point["states"] = o.states
        points.append(point)
    doc = {"id": template_id, "protocol": "bacnet",
           "description": f"discovered from device {peer.instance} (vendor {peer.vendor_id}, max APDU "
                          f"{peer.max_apdu}, {peer.segmentation})", "points": points}
    head = ("# Written by `zerocarbon discover`: check each point's unit and kind (kilowatts of heat are kW_th).\n"
            f"# Save as config/templates/{template_id}.yaml: a template's file name is its id (change both).\n")
    return head + str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120))
