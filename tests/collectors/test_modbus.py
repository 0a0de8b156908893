"""Polling real pymodbus servers: planned reads, decoding, SunSpec, comm loss, backoff, exceptions, read-only."""

from __future__ import annotations

import asyncio
import logging
import struct
from pathlib import Path

import pytest
from pymodbus.constants import ExcCodes

from collectors.modbus import DevicePoller
from models.reading import Quality, Reading
from models.template import ModbusTemplate
from models.vocabulary import ModbusTransport
from tests.collectors.conftest import load_sunspec, modbus_device, write_site
from tests.support.modbus import RegisterServer
from tests.support.processes import free_port


def by_name(readings: list[Reading]) -> dict[str, Reading]:
    return {r.point_id.split(".", 1)[1]: r for r in readings}


def floats(*values: float) -> list[int]:
    data = struct.pack(f">{len(values)}f", *values)
    return list(struct.unpack(f">{2 * len(values)}H", data))


@pytest.fixture(params=["wire", "pymodbus"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every polling test runs over both transports: our lean reader and pymodbus' client."""
    return str(request.param)


def poller_for(tmp_path: Path, template: str, port: int, transport: str, **extra: object) -> DevicePoller:
    site = write_site(tmp_path, [modbus_device("dev-1", template, port, **extra)])
    t = site.template_of(site.devices[0])
    assert isinstance(t, ModbusTemplate)
    return DevicePoller(site.devices[0], t, transport=transport)


def test_energy_meter_values_in_one_request_per_group(
    transport: str, tmp_path: Path, register_server: RegisterServer
) -> None:
    register_server.set_registers(0, floats(231.5, 12.25, 8.5, 1.25, 0.97, 50.0))
    register_server.set_registers(100, [0x0001, 0x86A0, 0, 250])  # 100000 and 250 hundredths of kWh
    poller = poller_for(tmp_path, "energy-meter", register_server.port, transport, poll_s={"default": 1, "energy": 60})
    default = by_name(asyncio.run(poller.poll("default")))
    energy = by_name(asyncio.run(poller.poll("energy")))
    assert {k: r.value for k, r in default.items()} == {
        "v_avg": 231.5, "i_avg": 12.25, "p_kw": 8.5, "q_kvar": 1.25, "pf": pytest.approx(0.97), "hz": 50.0
    }
    # 0x0001_86A0 = 100000 * 0.01 = 1000.0 kWh; 250 * 0.01 = 2.5 kWh
    assert energy["import_kwh"].value == pytest.approx(1000.0) and energy["export_kwh"].value == pytest.approx(2.5)
    assert register_server.reads == [(3, 0, 12), (3, 100, 4)]
    assert poller.health.requests_per_cycle == {"default": 1, "energy": 1}


def test_sunspec_inverter_scales_and_marks_not_implemented(
    transport: str, tmp_path: Path, register_server: RegisterServer
) -> None:
    load_sunspec(register_server, 40000, [1, 103], {
        "Mn": "Zhuhai PV", "W": 12850, "W_SF": -1, "A": 1834, "AphA": 611, "AphB": 612, "AphC": 0xFFFF,
        "A_SF": -2, "WH": 0, "WH_SF": 0, "Hz": 5002, "Hz_SF": -2, "St": 4, "Evt1": 128,
    })
    poller = poller_for(tmp_path, "sunspec-inverter", register_server.port, transport)
    got = by_name(asyncio.run(poller.poll("default")))
    assert got["W"].value == pytest.approx(1285.0)  # 12850 * 10**-1
    assert got["A"].value == pytest.approx(18.34)  # 1834 * 10**-2
    assert got["Hz"].value == pytest.approx(50.02)
    assert (got["AphC"].value, got["AphC"].quality) == (None, Quality.NOT_IMPLEMENTED)  # 0xFFFF sentinel
    assert (got["WH"].value, got["WH"].quality) == (None, Quality.NOT_IMPLEMENTED)  # accumulator at 0
    assert got["Evt1"].value == 128.0 and got["St"].value == 4.0
    assert poller.health.requests_per_cycle["default"] == 1  # model 103's 50 registers in one read


def test_dead_device_gives_comm_loss_in_the_same_cycle_and_backs_off(transport: str, tmp_path: Path) -> None:
    poller = poller_for(tmp_path, "energy-meter", free_port(), transport, poll_s={"default": 1, "energy": 60})
    readings = asyncio.run(poller.poll("default"))
    assert len(readings) == 6 and {r.quality for r in readings} == {Quality.COMM_LOSS}
    assert all(r.value is None for r in readings)
    assert poller.health.state == "comm_loss" and poller.health.consecutive_failures == 1


def test_slow_device_times_out_then_is_not_asked_during_backoff(
    transport: str, tmp_path: Path, register_server: RegisterServer, caplog: pytest.LogCaptureFixture
) -> None:
    register_server.delay_s = 1.0  # longer than the 0.3 s timeout
    poller = poller_for(tmp_path, "energy-meter", register_server.port, transport, poll_s={"default": 1, "energy": 60})

    async def cycles() -> list[list[Reading]]:
        out = [await poller.poll("default")]  # times out: 1 request
        out.append(await poller.poll("default"))  # at once again: within the backoff, no request
        poller.health.retry_at = 0  # the backoff has passed
        out.append(await poller.poll("default"))  # times out again: 2nd request, backoff doubles
        return out

    with caplog.at_level(logging.DEBUG, logger="collectors.modbus"):
        results = asyncio.run(cycles())
    assert all(r.quality is Quality.COMM_LOSS for cycle in results for r in cycle)
    assert register_server.requests[3] == 2
    assert poller.health.consecutive_failures == 2
    # ours only: the pymodbus server thread may log its own abandoned request tasks through asyncio
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("collectors")]
    assert len(errors) == 1 and "dev-1" in errors[0].getMessage()  # logged once, then DEBUG


def test_device_recovers_after_comm_loss(transport: str, tmp_path: Path, register_server: RegisterServer) -> None:
    register_server.set_registers(0, floats(230.0, 1.0, 2.0, 3.0, 1.0, 50.0))
    register_server.delay_s = 1.0
    poller = poller_for(tmp_path, "energy-meter", register_server.port, transport, poll_s={"default": 1, "energy": 60})

    async def cycles() -> list[Reading]:
        await poller.poll("default")
        register_server.delay_s = 0
        poller.health.retry_at = 0
        return await poller.poll("default")

    readings = by_name(asyncio.run(cycles()))
    assert readings["v_avg"].value == 230.0 and readings["v_avg"].quality is Quality.GOOD
    assert poller.health.state == "ok" and poller.health.consecutive_failures == 0


def test_exception_response_marks_that_blocks_points_device_error(
    transport: str, tmp_path: Path, register_server: RegisterServer
) -> None:
    register_server.exception_code = ExcCodes.ILLEGAL_ADDRESS
    poller = poller_for(tmp_path, "energy-meter", register_server.port, transport)
    readings = asyncio.run(poller.poll("default"))
    assert {r.quality for r in readings} == {Quality.DEVICE_ERROR}
    assert poller.health.state == "device_error" and "exception code 2" in poller.health.last_error


def test_collector_only_ever_reads(transport: str, tmp_path: Path, register_server: RegisterServer) -> None:
    load_sunspec(register_server, 40000, [1, 103], {"W": 1, "W_SF": 0})
    poller = poller_for(tmp_path, "sunspec-inverter", register_server.port, transport)

    async def all_groups() -> None:
        for group in poller.groups:
            await poller.poll(group)

    asyncio.run(all_groups())
    assert set(register_server.requests) <= {3, 4} and sum(register_server.requests.values()) >= 2


def test_little_word_order_int32_with_scale(transport: str, tmp_path: Path, register_server: RegisterServer) -> None:
    # storage-pcs: word_order little; p_kw int32 * 0.1 at 0; -1234.5 kW = raw -12345 = 0xFFFFCFC7:
    # low word 0xCFC7 first, then high word 0xFFFF
    register_server.set_registers(0, [0xCFC7, 0xFFFF, 805, 251, 238])
    poller = poller_for(tmp_path, "storage-pcs", register_server.port, transport)
    got = by_name(asyncio.run(poller.poll("default")))
    assert got["p_kw"].value == pytest.approx(-1234.5) and got["soc_pct"].value == pytest.approx(80.5)
    assert got["cell_temp_max_c"].value == pytest.approx(25.1)
    assert all(address + count <= 20 or address >= 30 for _, address, count in register_server.reads)


def test_a_transport_that_is_not_one_is_refused_naming_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"dev-1: unknown Modbus transport .*function.* one of pymodbus, wire"):
        poller_for(tmp_path, "energy-meter", free_port(), transport)  # type: ignore[arg-type]  # the fixture itself
    assert poller_for(tmp_path, "energy-meter", free_port(), "wire").transport is ModbusTransport.WIRE
