"""The site model: the building, its subsystems, its energy systems and its devices.

Loaded from ``config/site.yaml`` by :func:`models.loader.load_site`, which also resolves each device's
template. Everything downstream reads these frozen models (or :class:`PointInfo` rows), never raw YAML.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

# The connection models live with their protocols; they stay importable from here.
from models.protocols import (
    PROTOCOLS,
    AnyTemplate,
    Connection,
    ProtocolName,
    connection_type,
    on_register,
    protocol_name_type,
    protocol_of,
    template_type,
)
from models.protocols import ModbusConnection as ModbusConnection
from models.protocols import MqttConnection as MqttConnection
from models.vocabulary import EnergyRole, PointKind

DeviceId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known_zone(name: str) -> str:
    """An IANA zone name (Asia/Shanghai): every local day, month and report period is cut in it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone; use an IANA name such as 'Asia/Shanghai'") from None
    return name


class SiteInfo(Frozen):
    id: DeviceId
    name: str
    name_zh: str = ""
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude_m: float = 0.0
    timezone: Annotated[str, AfterValidator(_known_zone)]
    gross_floor_area_m2: float = Field(gt=0)
    climate_zone: str = ""


class Subsystem(Frozen):
    id: DeviceId
    name_en: str
    name_zh: str


class PvArray(Frozen):
    id: DeviceId
    module_area_m2: float = Field(gt=0)
    capacity_kwp: float = Field(gt=0)
    tilt_deg: float = Field(default=20.0, ge=0, le=90)
    azimuth_deg: float = Field(default=180.0, ge=0, lt=360)
    gamma_pdc_per_c: float = -0.004  # power temperature coefficient, 1/°C
    inverters: list[DeviceId] = Field(min_length=1)
    weather_station: DeviceId | None = None


class WindTurbine(Frozen):
    id: DeviceId
    rated_kw: float = Field(gt=0)
    hub_height_m: float = Field(default=20.0, gt=0)
    cut_in_ms: float = 3.0
    rated_speed_ms: float = 11.0
    cut_out_ms: float = 25.0
    device: DeviceId


class StorageUnit(Frozen):
    id: DeviceId
    capacity_kwh: float = Field(gt=0)
    power_kw: float = Field(gt=0)
    device: DeviceId


class GridConnection(Frozen):
    id: DeviceId
    capacity_kva: float = Field(gt=0)
    meters: list[DeviceId] = Field(min_length=1)


class EnergySystems(Frozen):
    pv: list[PvArray] = Field(default_factory=list)
    wind: list[WindTurbine] = Field(default_factory=list)
    storage: list[StorageUnit] = Field(default_factory=list)
    grid: list[GridConnection] = Field(min_length=1)


class Device(Frozen):
    id: DeviceId
    name: str = ""
    name_zh: str = ""  # the console's Chinese name (alarms, drill-down); empty: the English name is shown
    subsystem: DeviceId
    protocol: ProtocolName
    template: str
    connection: Connection
    poll_s: dict[str, float] = Field(default_factory=lambda: {"default": 5.0})
    roles: dict[str, EnergyRole] = Field(default_factory=dict)
    rated_kw: float | None = None
    simulate: dict[str, float | str] = Field(default_factory=dict)  # hints for simulators/, ignored elsewhere

    @model_validator(mode="after")
    def _connection_fits_protocol(self) -> Device:
        if protocol_of(self.connection) != self.protocol:
            fields = sorted(PROTOCOLS[self.protocol].connection.model_fields)
            raise ValueError(f"a {self.protocol} device's connection takes {fields} "
                             f"(it needs {PROTOCOLS[self.protocol].key!r})")
        return self


class MqttBroker(Frozen):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    client_id: str = "zerocarbon-collector"


class SiteFile(Frozen):
    """What ``config/site.yaml`` holds, before templates are attached."""

    site: SiteInfo
    subsystems: list[Subsystem] = Field(min_length=1)
    energy_systems: EnergySystems
    mqtt: MqttBroker = MqttBroker()
    devices: list[Device] = Field(min_length=1)


class PointInfo(Frozen):
    """A point as the rest of the platform sees it: one row of the site's point catalogue."""

    id: str
    device: str
    name: str
    unit: str
    kind: PointKind
    role: EnergyRole | None
    subsystem: str
    group: str
    interval_s: float


class Site(Frozen):
    """A validated site with every device's template resolved."""

    info: SiteInfo
    subsystems: list[Subsystem]
    energy_systems: EnergySystems
    mqtt: MqttBroker
    devices: list[Device]
    templates: dict[str, AnyTemplate]
    source: str = ""  # file it came from
    config_hash: str = ""  # sha256 of the site file and the templates it uses

    def device(self, device_id: str) -> Device:
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(f"no device {device_id!r} in site {self.info.id!r}")

    def template_of(self, device: Device) -> AnyTemplate:
        return self.templates[device.template]

    def subsystem(self, subsystem_id: str) -> Subsystem:
        for s in self.subsystems:
            if s.id == subsystem_id:
                return s
        raise KeyError(f"no subsystem {subsystem_id!r}")

    def points(self) -> list[PointInfo]:
        """Every point of every device, with its role and polling interval (a new list on every call)."""
        return list(self._catalogue())

    def points_by_role(self, role: EnergyRole) -> list[PointInfo]:
        return [p for p in self._catalogue() if p.role is role]

    def _catalogue(self) -> tuple[PointInfo, ...]:
        # Resolving every template takes ~2 ms for the Zhuhai site and each store opening, report and dashboard
        # tick asks again, so the result is kept beside the fields (pydantic compares and dumps fields only). It
        # is tied to these devices and templates objects: model_copy(update=...) copies it into a site whose
        # devices may differ, and there the identity check resolves afresh.
        kept = self.__dict__.get("_points")
        if kept is None or kept[0] is not self.devices or kept[1] is not self.templates:
            from models.resolve import device_points  # resolve imports sunspec; keep Site import-light

            points = tuple(p for d in self.devices for p in device_points(d, self.template_of(d)))
            kept = self.__dict__["_points"] = (self.devices, self.templates, points)
        return kept[2]


def _take_registered_protocols() -> None:
    """After :func:`models.protocols.register_protocol`: a device may speak the new protocol and a site may hold
    its templates (the fields are rebuilt from :data:`~models.protocols.PROTOCOLS`)."""
    Device.model_fields["protocol"] = FieldInfo.from_annotation(protocol_name_type())
    Device.model_fields["connection"] = FieldInfo.from_annotation(connection_type())
    templates: Any = dict[str, template_type()]  # type: ignore[misc]  # a runtime-built union
    Site.model_fields["templates"] = FieldInfo.from_annotation(templates)
    for model in (Device, SiteFile, Site):
        model.model_rebuild(force=True)


on_register(_take_registered_protocols)
