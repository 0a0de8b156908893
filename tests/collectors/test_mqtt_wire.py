"""The lean MQTT client's packet parser: whole packets only, whatever the chunk boundaries."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from collectors.mqtt_wire import _varint, connect_packet, parse, subscribe_packet


def publish(topic: str, payload: bytes, qos: int, pid: int) -> bytes:
    t = topic.encode()
    body = struct.pack(">H", len(t)) + t + (struct.pack(">H", pid) if qos else b"") + payload
    return bytes([0x30 | qos << 1]) + _varint(len(body)) + body


messages = st.lists(st.tuples(st.text(min_size=1, max_size=40), st.binary(max_size=20_000), st.sampled_from([0, 1]),
                              st.integers(1, 65535)), min_size=1, max_size=8)


@given(messages, st.lists(st.integers(1, 5000), max_size=10))
def test_chunks_split_anywhere_give_the_same_messages(msgs: list[tuple[str, bytes, int, int]], cuts: list[int]) -> None:
    stream = b"".join(publish(*m) for m in msgs) + b"\xd0\x00"  # and a PINGRESP
    got, others, buf, pos = [], [], b"", 0
    for size in [*cuts, len(stream)]:
        buf += stream[pos : pos + size]
        pos += size
        found, other, used = parse(buf)
        got += found
        others += other
        buf = buf[used:]
    assert got == [(t, p, q, pid if q else 0) for t, p, q, pid in msgs]
    assert others == [(13, b"")] and buf == b""


def test_remaining_length_uses_the_mqtt_variable_length_encoding() -> None:
    # MQTT 3.1.1 table 2.4: 127 -> 0x7F, 128 -> 0x80 0x01, 16383 -> 0xFF 0x7F, 2097152 -> 0x80 0x80 0x80 0x01
    assert [_varint(n) for n in (0, 127, 128, 16383, 2097152)] == [
        b"\x00", b"\x7f", b"\x80\x01", b"\xff\x7f", b"\x80\x80\x80\x01"]


def test_connect_asks_for_a_persistent_session_with_credentials() -> None:
    packet = connect_packet("zc", 30, "collector", "s3cret")
    # fixed header 0x10, then "MQTT" level 4, flags: username 0x80 | password 0x40, clean session bit clear
    assert packet[0] == 0x10 and packet[2:9] == b"\x00\x04MQTT\x04" and packet[9] == 0xC0
    assert packet.endswith(b"\x00\x09collector\x00\x06s3cret")
    assert subscribe_packet(["zc/#"]) == b"\x82\x09\x00\x01\x00\x04zc/#\x01"
