"""Which simulated endpoint serves a device of which protocol: one table, as :mod:`collectors.registry` is for
the collectors. Each endpoint is one device on its own port; MQTT gateways are published, not served
(:mod:`simulators.mqtt_publisher`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from models.site import Device
from simulators.bacnet_server import BacnetEndpoint
from simulators.faults import Fault
from simulators.modbus_server import ModbusEndpoint
from simulators.registers import Value


class Endpoint(Protocol):
    port: int

    @property
    def listening(self) -> bool: ...
    def prepare(self) -> None: ...  # before the first values (e.g. the SunSpec frame)
    def update(self, values: dict[str, Value]) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


ENDPOINTS: dict[str, Callable[[Device, Any, str, int, dict[str, Fault]], Endpoint]] = {
    "modbus": ModbusEndpoint,
    "bacnet": BacnetEndpoint,
}
