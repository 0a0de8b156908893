"""The simulated Modbus device farm the collector benches poll, in its own process (``python
bench/modbus_farm.py KIND N``): device 0 is dead (nothing listens on its port), device 1 answers after
:data:`SLOW_S`, every other device after :data:`LATENCY_S`. It counts the requests it answered (the slow
device's excluded: they time out at the client) and prints the count when its stdin says ``count``.

Two kinds, chosen by ``ZC_BENCH_FARM``:
- ``lean`` (the default): an ``asyncio.Protocol`` per device answering FC3/FC4 with constant registers, about
  10 µs of CPU per request, so 1000 devices × 3 reads a second (3,000 requests/s) fit in a fraction of a core;
- ``pymodbus``: one pymodbus ``ModbusTcpServer`` + ``SimDevice`` per device. It costs ~100-200 µs per request
  and, measured on 2026-12-04 at load 4 with 1000 devices × 3 sequential reads, its answers queued for
  0.7-1.7 s while the farm process used only 0.23-0.34 of its core; at 1000 reads/s it answered in 11-19 ms
  (docs/benchmarks.md). So it can serve N = 20 and 200, not N = 1000.
On two or more CPUs the farm pins itself to the last one (:func:`pin`).
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LATENCY_S = 0.010
SLOW_S = 2.0
REQUEST = struct.Struct(">HHHBBHH")  # transaction, protocol, length, unit, function, address, count
ANSWER = struct.Struct(">HHHBBB")  # transaction, protocol, length, unit, function, byte count


def pin(role: str, cpu: bool = True) -> str:
    """Pin this process (when ``cpu``): a contender to CPU 0, the farm to the last CPU. Returns what was done,
    for the report.

    ``ZC_BENCH_NICE=-10`` (root only) also raises the process above the machine's other work, pinned or not,
    so that on a shared machine it behaves more like a machine of its own; the report says when it was used.
    With the kernel's autogroups on (``/proc/sys/kernel/sched_autogroup_enabled``, as on the shared machine
    these figures came from), nice only ranks processes within the bench's own session: run K at load 10-16
    (docs/benchmarks.md) got no more CPU with it. ``ZC_BENCH_PIN=0`` turns the pinning off.
    """
    done = []
    nice = int(os.environ.get("ZC_BENCH_NICE", "0"))
    if nice:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
        done.append(f"nice {nice}")
    cpus = sorted(os.sched_getaffinity(0))
    if cpu and os.environ.get("ZC_BENCH_PIN", "1") != "0" and len(cpus) >= 2:
        cpu = cpus[0] if role == "contender" else cpus[-1]
        os.sched_setaffinity(0, {cpu})
        done.append(f"CPU {cpu}")
    return ", ".join(done) or "not pinned"


class LeanDevice(asyncio.Protocol):
    """Answers every FC3/FC4 request after ``delay_s`` with ``count`` registers of 0x4148."""

    def __init__(self, delay_s: float, answered: list[int], index: int) -> None:
        self.delay_s, self.answered, self.index, self.buffer = delay_s, answered, index, b""
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= REQUEST.size:
            tid, _, _, unit, fc, _, count = REQUEST.unpack_from(self.buffer)
            self.buffer = self.buffer[REQUEST.size:]
            self.answered[self.index] += 1
            answer = ANSWER.pack(tid, 0, 3 + 2 * count, unit, fc, 2 * count) + b"\x41\x48" * count
            self.loop.call_later(self.delay_s, self._send, answer)

    def _send(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)


async def lean_servers(count: int, answered: list[int]) -> list[int]:
    loop = asyncio.get_running_loop()
    ports = []
    for i in range(1, count):  # device 0 is dead: nothing listens on its port
        delay = SLOW_S if i == 1 else LATENCY_S
        server = await loop.create_server(lambda i=i, d=delay: LeanDevice(d, answered, i), "127.0.0.1", 0)
        ports.append(int(server.sockets[0].getsockname()[1]))
    return ports


async def pymodbus_servers(count: int, answered: list[int]) -> list[int]:
    import logging

    from pymodbus import pymodbus_apply_logging_config
    from pymodbus.server import ModbusTcpServer
    from pymodbus.simulator import DataType, SimData, SimDevice

    pymodbus_apply_logging_config(logging.CRITICAL)  # its debug dumps of every frame cost the farm CPU

    def answering(i: int, delay: float) -> Callable[..., Any]:
        async def action(function_code: int, start: int, address: int, n: int, regs: list[int], _: Any) -> None:
            answered[i] += 1
            await asyncio.sleep(delay)

        return action

    ports = []
    for i in range(1, count):  # device 0 is dead: nothing listens on its port
        sim = SimDevice(id=1, simdata=SimData(0, count=512, values=0x4148, datatype=DataType.REGISTERS),
                        action=answering(i, SLOW_S if i == 1 else LATENCY_S))
        server = ModbusTcpServer(sim, address=("127.0.0.1", 0))
        await server.serve_forever(background=True)
        ports.append(int(server.transport.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
    return ports


async def farm(kind: str, count: int) -> None:
    pin("farm")
    answered = [0] * count
    ports = await (lean_servers if kind == "lean" else pymodbus_servers)(count, answered)
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    while (line := await loop.run_in_executor(None, sys.stdin.readline)):
        if line.strip() == "count":  # every device but the slow one, whose requests time out at the client
            print(sum(answered) - answered[1], flush=True)


class Farm:
    """The farm process seen from the harness: its ports (a free, dead one first) and its answered count."""

    def __init__(self, count: int, kind: str | None = None) -> None:
        self.kind = kind or os.environ.get("ZC_BENCH_FARM", "lean")
        if self.kind not in ("lean", "pymodbus"):
            raise ValueError(f"ZC_BENCH_FARM={self.kind!r}: choose lean or pymodbus")
        self.proc = subprocess.Popen([sys.executable, __file__, self.kind, str(count)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        from tests.support.processes import free_port

        self.ports: list[int] = [free_port(), *json.loads(self.proc.stdout.readline())]

    def answered(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    asyncio.run(farm(sys.argv[1], int(sys.argv[2])))
