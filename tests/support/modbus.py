"""A real pymodbus TCP server on loopback, serving a register table that tests set directly.

Faults for tests: ``delay_s`` answers slowly, ``exception_code`` answers every request with a Modbus exception,
``stop()`` closes the port (comm loss). Requests are counted per function code.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from tests.support.processes import free_port


class RegisterServer:
    def __init__(self, unit_id: int = 1, port: int | None = None) -> None:
        self.unit_id = unit_id
        self.port = port or free_port()
        self.holding: dict[int, int] = {}
        self.input: dict[int, int] = {}
        self.delay_s = 0.0
        self.exception_code: ExcCodes | None = None
        self.requests: Counter[int] = Counter()
        self.reads: list[tuple[int, int, int]] = []  # (function code, address, count)
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
        ready = threading.Event()

        async def serve() -> None:
            device = SimDevice(
                id=self.unit_id,
                simdata=SimData(0, count=65535, values=0, datatype=DataType.REGISTERS),
                action=self._action,
            )
            self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
            ready.set()
            await self._server.serve_forever()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, name=f"modbus-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(5)
        _wait_listening(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(10)
        if self._thread is not None:
            self._thread.join(5)


def _wait_listening(port: int, timeout_s: float = 5.0) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"modbus server on {port} did not start")
