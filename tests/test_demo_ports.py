"""The demo moves a device whose port is taken, for every protocol that listens on one: Modbus on TCP and
BACnet/IP on UDP, as the protocol table says (models.protocols), not a list of its own."""

from __future__ import annotations

import socket

from models.protocols import PROTOCOLS, listening_port
from simulators.endpoints import ENDPOINTS
from simulators.site import remap_ports
from zerocarbon.commands.demo import _port_free, demo_ports


def _taken(kind: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        s.listen()
    return s


def test_every_simulated_protocol_says_how_it_listens():
    assert {p: PROTOCOLS[p].transport for p in ENDPOINTS} == {"modbus": "tcp", "bacnet": "udp"}
    assert PROTOCOLS["mqtt"].transport is None  # gateways publish through the broker


def test_a_taken_bacnet_udp_port_and_a_taken_modbus_tcp_port_both_move(site):  # type: ignore[no-untyped-def]
    bacnet = next(d for d in site.devices if d.protocol == "bacnet")
    modbus = next(d for d in site.devices if d.protocol == "modbus")
    udp, tcp = _taken(socket.SOCK_DGRAM), _taken(socket.SOCK_STREAM)
    try:
        ours = remap_ports(site, {bacnet.id: udp.getsockname()[1], modbus.id: tcp.getsockname()[1]})
        moved = demo_ports(ours)
        assert bacnet.id in moved and modbus.id in moved
        assert moved[bacnet.id] != udp.getsockname()[1] and _port_free(moved[bacnet.id], "udp")
        assert moved[modbus.id] != tcp.getsockname()[1] and _port_free(moved[modbus.id], "tcp")
        device = next(d for d in ours.devices if d.id == bacnet.id)
        assert listening_port(device.protocol, device.connection) == ("udp", udp.getsockname()[1])
    finally:
        udp.close()
        tcp.close()


def test_a_udp_port_in_use_is_not_free_for_udp_though_free_for_tcp():
    udp = _taken(socket.SOCK_DGRAM)
    try:
        port = udp.getsockname()[1]
        assert not _port_free(port, "udp")  # the old check (TCP only) called this port free
        assert _port_free(port, "tcp")
    finally:
        udp.close()
