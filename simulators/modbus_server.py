"""Modbus TCP endpoints of the simulated site: one pymodbus server per device port, all in one asyncio loop.

Each endpoint answers from the device's :class:`~simulators.registers.RegisterImage`. Transport faults act here:
``comm_loss`` closes the port (or, with ``mode=silent``, accepts and never answers), ``slow`` delays each answer,
``exception`` answers with a Modbus exception code. A read touching a template's ``forbidden`` range answers
exception 02 (ILLEGAL DATA ADDRESS), as the real meters do.
"""

from __future__ import annotations

import asyncio
import logging

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from models.site import Device, ModbusConnection
from models.template import ModbusTemplate
from simulators.faults import Fault
from simulators.registers import RegisterImage, Value, encode_device, write_sunspec_frame

log = logging.getLogger(__name__)
READ_INPUT_REGISTERS = 4
SILENT_POLL_S = 0.1


class ModbusEndpoint:
    """One device's TCP port: start, stop (comm loss) and restart without losing its register image."""

    def __init__(
        self, device: Device, template: ModbusTemplate, host: str, port: int, faults: dict[str, Fault]
    ) -> None:
        assert isinstance(device.connection, ModbusConnection)
        self.device = device
        self.template = template
        self.host, self.port = host, port
        self.image = RegisterImage()
        self.requests = 0
        self._faults = faults
        self._server: ModbusTcpServer | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    def prepare(self) -> None:
        write_sunspec_frame(self.image, self.template)

    def update(self, values: dict[str, Value]) -> None:
        encode_device(self.image, self.template, values)

    async def start(self) -> None:
        if self._server is not None:
            return
        assert isinstance(self.device.connection, ModbusConnection)
        sim = SimDevice(
            id=self.device.connection.unit_id,
            simdata=SimData(0, count=65535, values=0, datatype=DataType.REGISTERS),
            action=self._answer,
        )
        server = ModbusTcpServer(sim, address=(self.host, self.port))
        try:
            await server.serve_forever(background=True)
        except RuntimeError as exc:
            raise RuntimeError(f"{self.device.id}: cannot listen on {self.host}:{self.port} ({exc}); "
                               "free the port or remap the device (ports={...}, 0 = any free port)") from None
        if self.port == 0:  # the OS chose: keep it, so a comm-loss restart comes back on the same port
            self.port = int(server.transport.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self._server = server

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.shutdown()

    def _forbidden(self, address: int, count: int) -> bool:
        return any(address < end and start < address + count for start, end in self.template.forbidden)

    async def _answer(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | None,
    ) -> ExcCodes | None:
        self.requests += 1
        fault = self._faults.get(self.device.id)
        if fault is not None:
            if (refusal := await self._transport_fault(fault)) is not None:
                return refusal
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # the simulated devices are read-only, like the collector
        if self._forbidden(address, count):
            return ExcCodes.ILLEGAL_ADDRESS
        table = "input" if function_code == READ_INPUT_REGISTERS else "holding"
        base = address - start_address
        current_registers[base : base + count] = self.image.read(table, address, count)
        return None

    async def _transport_fault(self, fault: Fault) -> ExcCodes | None:
        if fault.kind == "slow":
            await asyncio.sleep(float(fault.param("delay_s")))
        elif fault.kind == "exception":
            return ExcCodes(int(fault.param("code")))
        elif fault.kind == "comm_loss":  # silent mode: hold the request until the fault clears
            while self._faults.get(self.device.id) is fault:
                await asyncio.sleep(SILENT_POLL_S)
            return ExcCodes.GATEWAY_NO_RESPONSE
        return None
