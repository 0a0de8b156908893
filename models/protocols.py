"""The protocols a device may speak: each one's connection model and template model, in one table.

A device's ``protocol`` picks both: ``connection`` is validated as that protocol's connection and its
template must be that protocol's template. Adding a protocol means a models module (its connection and
template), an entry in :data:`PROTOCOLS`, a collector registered in :mod:`collectors.registry` and a
simulated device; nothing else dispatches on the protocol's name.

A protocol may also arrive at run time, from its own module only: :func:`register_protocol` adds its row and
rebuilds what validates site files and templates (tests/test_protocol_plugin.py registers a toy protocol this
way and shows check-config, status and sharding take it). The static unions below serve the type checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from models.bacnet import BacnetConnection, BacnetTemplate
from models.template import ModbusTemplate, MqttTemplate


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModbusConnection(Frozen):
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    unit_id: int = Field(default=1, ge=0, le=255)
    timeout_s: float = Field(default=1.0, gt=0)


class MqttConnection(Frozen):
    topic: str = Field(min_length=1, description="the device's part of the template's topic")


@dataclass(frozen=True)
class ProtocolModels:
    name: str
    label: str  # how people write it: "Modbus", "BACnet/IP"
    connection: type[BaseModel]
    template: type[BaseModel]
    key: str  # a connection field only this protocol has (tells the connection apart without the protocol)
    networked: bool  # one address per device (sharded by device) rather than one shared broker
    # how a device of this protocol listens on its ``connection.port`` (what the simulator opens, what the demo
    # checks is free); None: it has no port of its own (MQTT devices publish through the broker)
    transport: Literal["tcp", "udp"] | None = None


PROTOCOLS: dict[str, ProtocolModels] = {
    "modbus": ProtocolModels("modbus", "Modbus", ModbusConnection, ModbusTemplate, "unit_id", True, "tcp"),
    "mqtt": ProtocolModels("mqtt", "MQTT", MqttConnection, MqttTemplate, "topic", False),
    "bacnet": ProtocolModels("bacnet", "BACnet/IP", BacnetConnection, BacnetTemplate, "device_instance", True,
                             "udp"),
}
ProtocolName = Literal["modbus", "mqtt", "bacnet"]  # a device's ``protocol``: the keys of PROTOCOLS
assert set(get_args(ProtocolName)) == set(PROTOCOLS), "ProtocolName and PROTOCOLS must name the same protocols"
AnyConnection = ModbusConnection | MqttConnection | BacnetConnection
AnyTemplate = ModbusTemplate | MqttTemplate | BacnetTemplate
Template = Annotated[AnyTemplate, Field(discriminator="protocol")]
TEMPLATE_MODELS = (ModbusTemplate, MqttTemplate, BacnetTemplate)


def protocol_of(connection: object) -> str:
    """The protocol a connection (a model, or its YAML mapping) belongs to."""
    for p in PROTOCOLS.values():
        if isinstance(connection, p.connection):
            return p.name
    if isinstance(connection, dict):
        for p in PROTOCOLS.values():
            if p.key in connection:
                return p.name
    return "modbus"  # host and port only: the unit id has a default


Connection = Annotated[
    Annotated[ModbusConnection, Tag("modbus")]
    | Annotated[MqttConnection, Tag("mqtt")]
    | Annotated[BacnetConnection, Tag("bacnet")],
    Discriminator(protocol_of),
]


def label(protocol: str) -> str:
    return PROTOCOLS[protocol].label if protocol in PROTOCOLS else protocol


def listening_port(protocol: str, connection: object) -> tuple[Literal["tcp", "udp"], int] | None:
    """The transport and port a device of ``protocol`` listens on, or None when it has none of its own."""
    models = PROTOCOLS.get(protocol)
    port = getattr(connection, "port", None)
    if models is None or models.transport is None or not isinstance(port, int):
        return None
    return models.transport, port


_ON_REGISTER: list[Callable[[], None]] = []


def on_register(rebuild: Callable[[], None]) -> None:
    """``rebuild`` runs after every :func:`register_protocol`: the models and adapters that embed the unions."""
    _ON_REGISTER.append(rebuild)


def register_protocol(models: ProtocolModels) -> None:
    """Add a protocol from its own module: its devices and templates then validate like the built-in ones."""
    if models.name in PROTOCOLS:
        raise ValueError(f"protocol {models.name!r} is already registered")
    PROTOCOLS[models.name] = models
    for rebuild in _ON_REGISTER:
        rebuild()


def protocol_name_type() -> Any:
    """``Literal`` of every registered protocol's name (what ``ProtocolName`` is for the built-in ones)."""
    return Literal[tuple(PROTOCOLS)]


def connection_type() -> Any:
    """The connection union of every registered protocol, told apart as :data:`Connection` is."""
    tagged = tuple(Annotated[p.connection, Tag(p.name)] for p in PROTOCOLS.values())
    return Annotated[Union[tagged], Discriminator(protocol_of)]  # noqa: UP007 - a union built from a tuple


def template_type() -> Any:
    """The template union of every registered protocol, told apart by ``protocol`` as :data:`Template` is."""
    return Annotated[Union[tuple(p.template for p in PROTOCOLS.values())], Field(discriminator="protocol")]  # noqa: UP007
