"""A real pymodbus TCP server on loopback, serving a register table that tests set directly.

Faults for tests: ``delay_s`` answers slowly, ``exception_code`` answers every request with a Modbus exception,
``stop()`` closes the port (comm loss). Requests are counted per function code, and their arrival times kept.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


class RegisterServer:
    def __init__(self, unit_id: int = 1, port: int | None = None) -> None:
        self.unit_id = unit_id
        self.port = port or 0
        self.holding: dict[int, int] = {}
        self.input: dict[int, int] = {}
        self.delay_s = 0.0
        self.exception_code: ExcCodes | None = None
        self.requests: Counter[int] = Counter()
        self.reads: list[tuple[int, int, int]] = []  # (function code, address, count)
        self.arrivals: list[float] = []  # time.time() of each request's arrival, for concurrency checks
        self._loop = asyncio.new_event_loop()
        self._server: ModbusTcpServer | None = None
        self._thread: threading.Thread | None = None

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | None,
    ) -> ExcCodes | None:
        self.arrivals.append(time.time())
        self.requests[function_code] += 1
        self.reads.append((function_code, address, count))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.exception_code is not None:
            return self.exception_code
        table = self.input if function_code == 4 else self.holding
        base = address - start_address
        for i in range(count):
            current_registers[base + i] = table.get(address + i, 0)
        return None

    def set_registers(self, address: int, values: list[int], table: str = "holding") -> None:
        target = self.input if table == "input" else self.holding
        for i, v in enumerate(values):
            target[address + i] = v & 0xFFFF

    def start(self) -> RegisterServer:
        """Listening when this returns. Port 0 (the default): the OS picks a port as the server binds, so no
        other test or process can take it between choosing and binding; ``port`` tells which."""

        async def serve() -> None:
            device = SimDevice(
                id=self.unit_id,
                simdata=SimData(0, count=65535, values=0, datatype=DataType.REGISTERS),
                action=self._action,
            )
            self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            await self._server.serve_forever(background=True)
            self.port = int(self._server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

        self._thread = threading.Thread(target=self._loop.run_forever, name="modbus-register-server", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(60)
        return self

    def stop(self) -> None:
        if self._server is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(60)
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
