"""BACnet/IP endpoints of the simulated site: one bacpypes3 device per UDP port, its objects from the template.

The objects are bacpypes3's own local objects (``AnalogInputObject``...), so ReadPropertyMultiple,
SubscribeCOV and its notifications, Who-Is/I-Am and the object list behave as bacpypes3 implements them, not
as we would fake them. Faults act here: ``comm_loss`` closes the port (the device is offline), ``slow`` delays
every answer by ``delay_s`` (as the Modbus endpoint does; a delay past the collector's timeout is a lost
answer), ``out_of_service`` sets every object's out-of-service flag (values freeze where they were), ``fault_flag`` sets
the fault flag and ``reliability`` (``unreliable-other``) of every object.

bacpypes3 binds with SO_REUSEPORT, so two applications on one port would silently share it: every endpoint
gets a port of its own (the site file's when it is free, else one the OS picks; ``SimulatedSite.site`` tells
the collector which).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

from bacpypes3.app import Application
from bacpypes3.local.analog import AnalogInputObject, AnalogOutputObject, AnalogValueObject
from bacpypes3.local.binary import BinaryInputObject, BinaryOutputObject, BinaryValueObject
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.multistate import MultiStateInputObject, MultiStateOutputObject, MultiStateValueObject
from bacpypes3.local.networkport import NetworkPortObject

from models.bacnet import UNITS_TO_BACNET, BacnetConnection, BacnetPoint, BacnetTemplate
from models.site import Device
from simulators.faults import Fault
from simulators.registers import Value

log = logging.getLogger(__name__)
logging.getLogger("bacpypes3").setLevel(logging.CRITICAL)
CLASSES: dict[str, Any] = {
    "analog-input": AnalogInputObject, "analog-output": AnalogOutputObject, "analog-value": AnalogValueObject,
    "binary-input": BinaryInputObject, "binary-output": BinaryOutputObject, "binary-value": BinaryValueObject,
    "multi-state-input": MultiStateInputObject, "multi-state-output": MultiStateOutputObject,
    "multi-state-value": MultiStateValueObject,
}
VENDOR_ID = 999  # bacpypes3's sample vendor id


class CountingApplication(Application):  # type: ignore[misc]  # bacpypes3 is untyped
    """bacpypes3's application, counting the requests it serves (tests check batching and read-only) and
    holding each one for the device's ``slow`` fault before bacpypes3 answers it."""

    requests: dict[str, int]
    delay_s: Callable[[], float]

    async def indication(self, apdu: Any) -> None:
        name = type(apdu).__name__
        self.requests[name] = self.requests.get(name, 0) + 1
        delay = self.delay_s()
        if delay > 0:
            await asyncio.sleep(delay)
        await super().indication(apdu)


_PICKED: set[int] = set()  # ports the OS picked for endpoints of this process: each is given out once


def free_udp_port(host: str, wanted: int = 0) -> int:
    """``wanted`` when nobody holds it, else a port the OS picks. Checked by binding without SO_REUSEPORT, which
    fails on a port a bacpypes3 application holds (two simulators or test runs on one machine). An endpoint
    binds only when it starts, so a picked port is never picked again in this process: the OS may hand a
    just-closed port out twice, and two devices would then share one port."""
    held: list[socket.socket] = []
    try:
        while True:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(s)  # a port picked before stays held while the OS picks another
            try:
                s.bind((host, wanted))
            except OSError:
                if not wanted:
                    raise
                log.warning("UDP %s:%d is taken; serving this BACnet device on a free port", host, wanted)
                wanted = 0
                continue
            port = int(s.getsockname()[1])
            if wanted:
                return port
            if port not in _PICKED:
                _PICKED.add(port)
                return port
    finally:
        for s in held:
            s.close()


def make_object(p: BacnetPoint) -> Any:
    kwargs: dict[str, Any] = {"objectIdentifier": (p.object_type, p.instance), "objectName": p.name,
                              "statusFlags": [0, 0, 0, 0], "outOfService": False, "eventState": "normal"}
    if p.object_type.startswith("analog"):
        kwargs.update(presentValue=0.0, units=UNITS_TO_BACNET.get(p.unit, "no-units"), covIncrement=0.1)
    elif p.object_type.startswith("binary"):
        kwargs.update(presentValue="inactive")
    else:
        count = max(p.states) if p.states else 2
        kwargs.update(presentValue=1, numberOfStates=count,
                      stateText=[p.states.get(i, f"state {i}") for i in range(1, count + 1)])
    return CLASSES[p.object_type](**kwargs)


class BacnetEndpoint:
    """One simulated BACnet device: start, stop (offline) and restart with the same objects and port."""

    def __init__(self, device: Device, template: BacnetTemplate, host: str, port: int,
                 faults: dict[str, Fault]) -> None:
        c = device.connection
        assert isinstance(c, BacnetConnection)
        self.device, self.template = device, template
        self.host, self.port = host, free_udp_port(host, port)  # the site's port, or a free one
        self.instance = c.device_instance
        self.objects: dict[str, Any] = {}  # made in the serving loop: bacpypes3 objects need a running loop
        self._points = {p.name: p for p in template.points}
        self._faults = faults
        self._app: Any = None
        self.requests: dict[str, int] = {}  # APDU class name -> count, kept across restarts

    @property
    def listening(self) -> bool:
        return self._app is not None

    def _make_objects(self) -> bool:
        if not self.objects:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return False
            self.objects = {p.name: make_object(p) for p in self.template.points}
        return True

    async def start(self) -> None:
        if self._app is not None:
            return
        self._make_objects()
        device = DeviceObject(
            objectIdentifier=("device", self.instance), objectName=self.device.id, vendorIdentifier=VENDOR_ID,
            maxApduLengthAccepted=1476, segmentationSupported="segmented-both", maxSegmentsAccepted=16)
        port = NetworkPortObject(f"{self.host}:{self.port}", objectIdentifier=("network-port", 1),
                                 objectName="NetworkPort-1")
        self._app = CountingApplication.from_object_list([device, port, *self.objects.values()])
        self._app.requests = self.requests
        self._app.delay_s = self._slow_delay_s

    def _slow_delay_s(self) -> float:
        fault = self._faults.get(self.device.id)
        return float(fault.param("delay_s")) if fault is not None and fault.kind == "slow" else 0.0

    async def stop(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            for obj in self.objects.values():  # a restarted device is a new application holding the same objects
                obj._app = None
            app.close()

    def prepare(self) -> None:
        """Nothing ahead: the objects are made in the serving loop."""

    def update(self, values: dict[str, Value]) -> None:
        """Present values from the live state; faults on the status flags. Only changed values are set, so
        bacpypes3 sends a COV notification for real changes only."""
        if not self._make_objects():
            return  # not served yet: the first tick in the serving loop sets the values
        fault = self._faults.get(self.device.id)
        frozen = fault is not None and fault.kind == "out_of_service"
        flags = [0, 1 if fault is not None and fault.kind == "fault_flag" else 0, 0, 1 if frozen else 0]
        for name, obj in self.objects.items():
            if list(obj.statusFlags) != flags:
                obj.outOfService = bool(flags[3])
                obj.reliability = "unreliableOther" if flags[1] else "noFaultDetected"
                obj.statusFlags = flags
            value = values.get(name)
            if frozen or not isinstance(value, float | int) or value != value:
                continue
            present = _present(self._points[name], float(value))
            if obj.presentValue != present:
                obj.presentValue = present


def _present(p: BacnetPoint, value: float) -> Any:
    if p.object_type.startswith("binary"):
        return "active" if value >= 0.5 else "inactive"
    if p.object_type.startswith("multi-state"):
        return max(1, int(round(value)))
    return round(value, 3)
