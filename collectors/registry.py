"""Which collector reads which protocol: the one table the service, sharding and status go through.

Adding a protocol: a models module (connection and template, listed in :data:`models.protocols.PROTOCOLS`),
one collectors module with a :class:`~collectors.interface.Poller` (or a
:class:`~collectors.interface.Subscriber`), and a row here. docs/collectors.md walks through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from collectors.interface import Poller, Subscriber
from models.reading import ReadingSink
from models.site import Device, Site


@dataclass(frozen=True)
class CollectorOptions:
    """Settings a collector may need; each takes what concerns it."""

    modbus_transport: str = "pymodbus"
    mqtt: dict[str, Any] | None = None


def _modbus(device: Device, site: Site, options: CollectorOptions) -> Poller:
    from collectors.modbus import DevicePoller
    from models.template import ModbusTemplate

    template = site.template_of(device)
    assert isinstance(template, ModbusTemplate)
    return DevicePoller(device, template, transport=options.modbus_transport)


def _bacnet(device: Device, site: Site, options: CollectorOptions) -> Poller:
    from collectors.bacnet import BacnetPoller
    from models.bacnet import BacnetTemplate

    template = site.template_of(device)
    assert isinstance(template, BacnetTemplate)
    return BacnetPoller(device, template)


def _mqtt(site: Site, devices: list[Device], sink: ReadingSink, options: CollectorOptions) -> Subscriber:
    from collectors.mqtt import MqttCollector

    return MqttCollector(site, devices, sink, **(options.mqtt or {}))


@dataclass(frozen=True)
class Collector:
    protocol: str
    poller: Callable[[Device, Site, CollectorOptions], Poller] | None = None
    subscriber: Callable[[Site, list[Device], ReadingSink, CollectorOptions], Subscriber] | None = None
    # Sharded protocols give each shard its own devices; a shared subscription gives every shard every device
    # and lets the broker spread the messages (MQTT ``$share``).
    sharded: bool = True


COLLECTORS: dict[str, Collector] = {
    "modbus": Collector("modbus", poller=_modbus),
    "bacnet": Collector("bacnet", poller=_bacnet),
    "mqtt": Collector("mqtt", subscriber=_mqtt, sharded=False),
}


def register_collector(entry: Collector) -> None:
    """Add a protocol's collector from its own module (with :func:`models.protocols.register_protocol`): the
    service, ``status`` and sharding then run its devices like the built-in ones."""
    if entry.protocol in COLLECTORS:
        raise ValueError(f"a collector for {entry.protocol!r} is already registered")
    COLLECTORS[entry.protocol] = entry


def collector(protocol: str) -> Collector:
    try:
        return COLLECTORS[protocol]
    except KeyError:
        raise KeyError(f"no collector for protocol {protocol!r}; known: {sorted(COLLECTORS)}") from None


def shard_share(devices: Sequence[Device], mine: Sequence[Device]) -> list[Device]:
    """Of ``devices``, those a shard collects: its own ``mine`` for sharded protocols, all of the others."""
    own = {d.id for d in mine}
    return [d for d in devices if d.id in own or not collector(d.protocol).sharded]
