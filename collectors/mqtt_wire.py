"""A lean MQTT 3.1.1 subscriber for draining large QoS 1 backlogs: reads 64 KiB at a time, parses every
PUBLISH in the chunk, hands them to the mapper as one batch, and acknowledges the batch with one write.

paho's network loop does one ``select`` and several small ``recv`` calls per packet and a socket-pair wake-up
per acknowledgement: ~25 µs of CPU per message before any mapping (bench/bench_collectors.py). On two cores
that caps a backlog drain; this client spends a few µs per message. It subscribes only (QoS 1, persistent
session, username/password, TLS); it never publishes. Selected with ``MqttCollector(client="wire")``.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import struct
from collections.abc import Callable
from typing import Any

log = logging.getLogger("collectors.mqtt")

Message = tuple[str, bytes, int, int]  # topic, payload, qos, packet id
PUBACK = struct.Struct(">BBH")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def connect_packet(client_id: str, keepalive: int, username: str | None, password: str | None) -> bytes:
    flags = 0x00 | (0x80 if username else 0) | (0x40 if username and password is not None else 0)
    body = _utf8("MQTT") + bytes([4, flags]) + struct.pack(">H", keepalive) + _utf8(client_id)
    if username:
        body += _utf8(username)
        if password is not None:
            body += _utf8(password)
    return b"\x10" + _varint(len(body)) + body


def subscribe_packet(topics: list[str], packet_id: int = 1) -> bytes:
    body = struct.pack(">H", packet_id) + b"".join(_utf8(t) + b"\x01" for t in topics)
    return b"\x82" + _varint(len(body)) + body


def parse(buf: bytes) -> tuple[list[Message], list[tuple[int, bytes]], int]:
    """Whole packets at the start of ``buf``: (PUBLISH messages, other packets as (type, body), bytes used)."""
    messages: list[Message] = []
    others: list[tuple[int, bytes]] = []
    pos, end = 0, len(buf)
    while pos + 2 <= end:
        first = buf[pos]
        length, mult, i = 0, 1, pos + 1
        while True:
            if i >= end:
                return messages, others, pos
            byte = buf[i]
            length += (byte & 0x7F) * mult
            mult *= 128
            i += 1
            if not byte & 0x80:
                break
        if i + length > end:
            break
        if first >> 4 == 3:
            qos = (first >> 1) & 3
            tlen = (buf[i] << 8) | buf[i + 1]
            topic = buf[i + 2 : i + 2 + tlen].decode(errors="replace")
            j = i + 2 + tlen
            pid = 0
            if qos:
                pid = (buf[j] << 8) | buf[j + 1]
                j += 2
            messages.append((topic, buf[j : i + length], qos, pid))
        else:
            others.append((first >> 4, buf[i : i + length]))
        pos = i + length
    return messages, others, pos


class WireSubscriber:
    """Connect, subscribe, and feed batches of messages to ``on_batch`` until cancelled; reconnects."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        topics: list[str],
        on_batch: Callable[[list[Message]], bool],
        *,
        username: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
        keepalive: int = 30,
    ) -> None:
        self.host, self.port, self.client_id, self.topics = host, port, client_id, topics
        self.on_batch, self.username, self.password, self.tls = on_batch, username, password, tls
        self.keepalive = keepalive
        self.connected = False

    async def run(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._session()
                delay = 1.0
            except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError) as exc:
                log.warning("MQTT %s:%d: %s; reconnecting in %.0f s", self.host, self.port, exc, delay)
            self.connected = False
            await asyncio.sleep(delay)
            delay = min(2 * delay, 30.0)

    async def _session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=self.tls), 10)
        try:
            writer.write(connect_packet(self.client_id, self.keepalive, self.username, self.password))
            connack = await asyncio.wait_for(reader.readexactly(4), 10)
            if connack[0] != 0x20 or connack[3] != 0:
                raise ConnectionError(f"broker refused the connection (CONNACK code {connack[3]})")
            writer.write(subscribe_packet(self.topics))
            self.connected = True
            log.info("subscribed to %s on %s:%d", ", ".join(self.topics), self.host, self.port)
            await self._pump(reader, writer)
        finally:
            writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), self.keepalive / 2)
            except TimeoutError:
                writer.write(b"\xc0\x00")  # PINGREQ keeps an idle session alive
                continue
            if not data:
                raise ConnectionError("broker closed the connection")
            buf += data
            messages, others, used = parse(buf)
            buf = buf[used:]
            self._check(others)
            if messages and self.on_batch(messages):  # acknowledge only what the mapper has spooled
                writer.write(b"".join(PUBACK.pack(0x40, 2, pid) for _, _, qos, pid in messages if qos))

    @staticmethod
    def _check(others: list[tuple[int, bytes]]) -> None:
        for kind, body in others:
            if kind == 9 and b"\x80" in body[2:]:
                log.error("the broker refused a subscription (SUBACK 0x80): check the topic and its ACL")


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def run_in_thread(subscriber: WireSubscriber) -> tuple[Any, Callable[[], None]]:
    """Run the subscriber on its own loop in a daemon thread; returns (thread, stop)."""
    import threading

    loop = asyncio.new_event_loop()
    task_box: list[asyncio.Task[None]] = []

    def main() -> None:
        asyncio.set_event_loop(loop)
        task_box.append(loop.create_task(subscriber.run()))
        try:
            loop.run_until_complete(task_box[0])
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=main, name="mqtt-wire", daemon=True)
    thread.start()

    def stop() -> None:
        if task_box:
            loop.call_soon_threadsafe(task_box[0].cancel)
        thread.join(10)

    return thread, stop
