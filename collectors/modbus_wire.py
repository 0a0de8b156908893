"""A lean Modbus TCP reader: function codes 3 and 4 only, one request in flight, bytes straight to the decoder.

pymodbus' client spends ~70-140 µs of CPU per read (one ``struct.unpack`` per register, PDU ``__str__`` and
transport dumps on every request: feasibility §3.2). With 20 devices answering at once, that CPU queues the
next requests and a cycle grows to 1.4-1.5 x the devices' own latency (bench/bench_collectors.py). This
reader frames the MBAP header with one ``struct`` call each way and hands the register bytes to the block
decoder as they came off the wire: ~10 µs per read. It can only read: there is no code here to write.

Errors are ours (:mod:`models.errors`), named by device, address and block.
"""

from __future__ import annotations

import asyncio
import struct

from collectors.planner import ReadBlock
from models.errors import DeviceError, DeviceExceptionResponse, DeviceTimeout

MBAP = struct.Struct(">HHHBBHH")  # transaction, protocol 0, length, unit, function, address, count
HEAD = struct.Struct(">HHHBB")  # transaction, protocol, length, unit, function
FUNCTION = {"holding": 3, "input": 4}


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.waiting: tuple[int, asyncio.Future[bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiting and not self.waiting[1].done():
            self.waiting[1].set_exception(ConnectionError("connection closed by the device"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 8:
            tid, _, length, _, function = HEAD.unpack_from(self.buffer)
            end = 6 + length
            if len(self.buffer) < end:
                return
            frame, self.buffer = self.buffer[8:end], self.buffer[end:]
            if self.waiting and self.waiting[0] == tid and not self.waiting[1].done():
                self.waiting[1].set_result(bytes([function]) + frame)
            # any other transaction id is a late answer to a request we gave up on: dropped


def _expire(future: asyncio.Future[bytes]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class WireReader:
    """Read register blocks of one device over one TCP connection (made on first use, remade after errors)."""

    def __init__(self, device_id: str, host: str, port: int, unit_id: int, timeout_s: float) -> None:
        self.device_id, self.host, self.port, self.unit_id, self.timeout_s = device_id, host, port, unit_id, timeout_s
        self._protocol: _Protocol | None = None
        self._tid = 0
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _where(self, block: ReadBlock) -> str:
        return f"{self.host}:{self.port} unit {self.unit_id} {block.register_type} {block.address}+{block.count}"

    async def _connected(self, block: ReadBlock) -> _Protocol:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._protocol, self._lock, self._loop = None, asyncio.Lock(), loop
        if self._protocol is None or self._protocol.lost:
            try:
                _, self._protocol = await asyncio.wait_for(
                    loop.create_connection(_Protocol, self.host, self.port), self.timeout_s
                )
            except (OSError, TimeoutError) as exc:
                raise DeviceTimeout(f"cannot connect to {self._where(block)}: {exc or 'timeout'}",
                                    device=self.device_id) from exc
        assert self._protocol is not None  # set above, or it raised
        return self._protocol

    async def read_bytes(self, block: ReadBlock) -> bytes:
        """The block's registers as big-endian bytes, ``2 * count`` of them.

        Per read this costs one future and one timer handle: the error text is only formatted on an error,
        and the timeout is a ``call_at`` on the future rather than an ``asyncio.timeout`` context (which adds
        a task lookup, a context object and a cancellation round trip per read: about a fifth of the lean
        path's CPU at 1000 devices, cProfile of bench/bench_collectors.py scheduled, docs/benchmarks.md).
        """
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._protocol = asyncio.Lock(), loop, None
        async with self._lock:  # one request in flight per connection: devices expect no more
            protocol = self._protocol
            if protocol is None or protocol.lost:
                protocol = await self._connected(block)
            self._tid = tid = (self._tid + 1) & 0xFFFF
            future: asyncio.Future[bytes] = loop.create_future()
            protocol.waiting = (tid, future)
            assert protocol.transport is not None
            protocol.transport.write(
                MBAP.pack(tid, 0, 6, self.unit_id, FUNCTION[block.register_type], block.address, block.count)
            )
            timer = loop.call_at(loop.time() + self.timeout_s, _expire, future)
            try:
                answer = await future
            except (TimeoutError, ConnectionError) as exc:
                self.close()  # a late answer must never be taken for the next request's
                raise DeviceTimeout(f"no answer from {self._where(block)}", device=self.device_id) from exc
            finally:
                timer.cancel()
        return self._payload(answer, block)

    def _payload(self, answer: bytes, block: ReadBlock) -> bytes:
        if answer[0] & 0x80:
            code = answer[1] if len(answer) > 1 else "?"
            raise DeviceExceptionResponse(
                f"exception code {code} reading {self._where(block)}; check the template's addresses or add the "
                "range to 'forbidden'", device=self.device_id)
        data = answer[2:]
        count = block.count
        if len(data) != 2 * count or answer[1] != 2 * count:
            self.close()
            raise DeviceError(f"{self._where(block)}: answer of {len(data)} bytes, expected {2 * count}",
                              device=self.device_id)
        return data

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            try:
                self._protocol.transport.close()
            except RuntimeError:  # its loop is closed already, and the socket with it
                pass
        self._protocol = None
