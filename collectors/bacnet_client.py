"""The bacpypes3 seam: one BACnet/IP client per device, Who-Is and ReadPropertyMultiple, errors translated.

bacpypes3 signals an Abort, Reject or Error by *raising* (or returning) an ``ErrorRejectAbortNack``, which
derives from ``BaseException``, not ``Exception``: it is caught here, in one place, and turned into our
:class:`~models.errors.DeviceError` tree naming the device, its address and the objects asked for.

Each device gets its own client application on an ephemeral UDP port: the APDU timeout is then the device's
own (bacpypes3 keeps one per application), COV notifications come back to a port only that device's poller
reads, and an ephemeral port never receives the site's Who-Is broadcasts (so the collector does not show up as
a BACnet device on the building's network). The client sends Who-Is, ReadProperty(Multiple) and SubscribeCOV
only: nothing here can write a property.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.app import Application
from bacpypes3.basetypes import PropertyIdentifier
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import ObjectIdentifier
from bacpypes3.vendor import get_vendor_info

from models.bacnet import BacnetConnection
from models.errors import DeviceError, DeviceExceptionResponse, DeviceTimeout

CLIENT_INSTANCE = 4_194_301  # our own device object's instance; answered only on the ephemeral port
PRESENT_VALUE, STATUS_FLAGS = 85, 111  # PropertyIdentifier numbers (ASHRAE 135 §21)


@dataclass(frozen=True)
class Peer:
    """What a device said about itself in its I-Am."""

    instance: int
    max_apdu: int
    segmentation: str
    vendor_id: int


def make_application(bind: str = "0.0.0.0:0", timeout_s: float = 2.0, instance: int = CLIENT_INSTANCE) -> Any:
    """A bacpypes3 application for a client: one try per request (our poller owns the retries and backoff)."""
    device = DeviceObject(
        objectIdentifier=("device", instance), objectName=f"zerocarbon-{instance}", vendorIdentifier=999,
        maxApduLengthAccepted=1476, segmentationSupported="segmented-both", maxSegmentsAccepted=16,
        apduTimeout=max(1, int(timeout_s * 1000)), numberOfApduRetries=0,
    )
    port = NetworkPortObject(bind, objectIdentifier=("network-port", 1), objectName="NetworkPort-1")
    return Application.from_object_list([device, port])


class BacnetLink:
    """One device's client: made on first use in the running loop, closed by :meth:`close`."""

    def __init__(self, device_id: str, connection: BacnetConnection, timeout_s: float) -> None:
        self.device_id = device_id
        self.connection = connection
        self.timeout_s = timeout_s
        self.address = Address(f"{connection.host}:{connection.port}")
        self._app: Any = None
        # Parsed once: given strings, bacpypes3 parses every object id and property name of every request
        # with an awaited call each (measured: bench/bench_bacnet.py).
        self._ids: dict[str, Any] = {}
        self._props: dict[tuple[str, ...], list[Any]] = {}
        self.vendor_info: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            self._app = make_application(timeout_s=self.timeout_s)
        return self._app

    def where(self, objects: list[str] | None = None) -> str:
        c = self.connection
        head = f"{c.host}:{c.port} device {c.device_instance}"
        if not objects:
            return head
        more = f" and {len(objects) - 3} more" if len(objects) > 3 else ""
        return f"{head} ({', '.join(objects[:3])}{more})"

    async def who_is(self) -> Peer:
        """A Who-Is sent to the device's address for its instance only; its I-Am tells the APDU size."""
        instance = self.connection.device_instance
        found: list[Any] = []
        for _ in range(2):  # UDP: a Who-Is or its I-Am may be lost; ask twice within the timeout
            try:
                found = await asyncio.wait_for(self.app.who_is(instance, instance, self.address),
                                               self.timeout_s / 2)
            except TimeoutError:
                continue
            if found:
                break
        if not found:
            raise DeviceTimeout(f"no I-Am from {self.where()}; check host, port and device instance",
                                device=self.device_id)
        i_am = found[0]
        self.vendor_info = get_vendor_info(int(i_am.vendorID))
        return Peer(instance, int(i_am.maxAPDULengthAccepted), _segmentation(i_am.segmentationSupported),
                    int(i_am.vendorID))

    async def read(self, objects: list[str], properties: list[str]) -> list[tuple[Any, Any, Any, Any]]:
        """ReadPropertyMultiple of ``properties`` of every object; element errors come back as values
        (bacpypes3 ``ErrorType``), a failed request raises."""
        props = self._props.get(tuple(properties))
        if props is None:
            props = self._props[tuple(properties)] = [PropertyIdentifier(p) for p in properties]
        request: list[Any] = []
        for obj in objects:
            objid = self._ids.get(obj)
            if objid is None:
                objid = self._ids[obj] = ObjectIdentifier(obj)
            request += [objid, props]
        try:
            async with asyncio.timeout(self.timeout_s + 0.5):  # a guard: bacpypes3's own APDU timer fires first
                result = await self.app.read_property_multiple(self.address, request, self.vendor_info)
        except TimeoutError as exc:
            raise DeviceTimeout(f"no answer from {self.where(objects)}", device=self.device_id) from exc
        except ErrorRejectAbortNack as exc:
            result = exc
        if isinstance(result, ErrorRejectAbortNack):
            raise _translate(result, self.device_id, self.where(objects)) from None
        if result is None:
            raise DeviceError(f"{self.where(objects)}: not a ReadPropertyMultiple answer", device=self.device_id)
        return list(result)

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def _segmentation(value: Any) -> str:
    names = {0: "segmented-both", 1: "segmented-transmit", 2: "segmented-receive", 3: "no-segmentation"}
    return names.get(int(value), "no-segmentation")


def _translate(nack: BaseException, device_id: str, where: str) -> DeviceError:
    text = str(nack) or type(nack).__name__
    if "no-response" in text or "timeout" in text.lower():
        return DeviceTimeout(f"no answer from {where}", device=device_id)
    return DeviceExceptionResponse(
        f"{type(nack).__name__} {text} from {where}; check the template's objects with "
        "`zerocarbon discover bacnet://HOST:PORT/INSTANCE`", device=device_id)


def is_error(value: Any) -> bool:
    """An element of a ReadPropertyMultiple answer that is an error (unknown object or property)."""
    return type(value).__name__ == "ErrorType" or isinstance(value, BaseException)
