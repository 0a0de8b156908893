"""Each protocol path of the simulated site answers real clients: pymodbus for Modbus TCP, paho for MQTT."""

from __future__ import annotations

from models.sunspec import SUNS_MARKER
from simulators.site import SimulatedSite
from tests.simulators.helpers import Subscriber, float32, int16, modbus_client, read
from tests.support.processes import Mosquitto

M103 = 40070  # 40000 'SunS' (2) + model 1 header (2) + L=66 -> model 103's ID register


def test_sunspec_inverter_walks_like_a_sunspec_device(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "pv-inv-01")
    try:
        assert read(client, 40000, 2) == list(SUNS_MARKER)
        assert read(client, 40002, 2) == [1, 66]  # common model, L = 66
        assert read(client, M103, 2) == [103, 50]  # three-phase inverter, L = 50
        assert read(client, M103 + 52, 2) == [0xFFFF, 0]  # end of the chain
        maker = bytes(b for w in read(client, 40004, 16) for b in w.to_bytes(2, "big")).rstrip(b"\0")
        assert maker == b"ZeroCarbon Sim"
        block = read(client, M103 + 2, 50)
    finally:
        client.close()
    w_raw, w_sf = int16(block[12]), int16(block[13])  # W at offset 12, W_SF at 13 (model 103 layout)
    watts = w_raw * 10**w_sf
    expected = sim.values("pv-inv-01")["W"]
    assert watts > 20_000, "a clear October noon: the 100 kW inverter should give tens of kW"
    assert abs(watts - float(expected)) <= max(0.02 * watts, 10**w_sf)  # one tick of drift at most
    assert w_sf >= 1, "above 32767 W the int16 W register needs W_SF >= 1"
    assert block[36] == 4  # St = MPPT


def test_scale_factor_follows_power_level(sim: SimulatedSite) -> None:
    from models.resolve import register_points
    from simulators.registers import RegisterImage, encode_device

    template = sim.site.template_of(sim.site.device("pv-inv-01"))
    points = {p.name: p for p in register_points(template)}  # type: ignore[arg-type]
    image = RegisterImage()
    encode_device(image, template, {"W": 500.0})  # type: ignore[arg-type]
    low = int16(image.read("holding", points["W_SF"].address, 1)[0])
    encode_device(image, template, {"W": 90_000.0})  # type: ignore[arg-type]
    high = int16(image.read("holding", points["W_SF"].address, 1)[0])
    assert (low, high) == (-1, 1)  # 500 W -> 5000 x 10^-1 fits int16 finest; 90 kW -> 9000 x 10^1


def test_missing_phase_current_reads_not_implemented(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "pv-inv-09")  # second vendor batch: no phase C current
    try:
        block = read(client, M103 + 2, 4)
    finally:
        client.close()
    assert block[3] == 0xFFFF  # uint16 'not implemented'
    assert block[1] not in (0, 0xFFFF)


def test_energy_meter_serves_float_power_and_counters(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "grid-meter-1")
    try:
        p_kw = float32(read(client, 4, 2))
        counters = read(client, 100, 4)
        forbidden = client.read_holding_registers(40, count=4, device_id=1)
    finally:
        client.close()
    assert 200 < p_kw < 8000
    import_kwh = (counters[0] << 16 | counters[1]) * 0.01
    assert import_kwh > 1000  # counters start where a long-installed meter would be
    assert forbidden.isError() and forbidden.exception_code == 2  # vendor block [40, 64): ILLEGAL DATA ADDRESS


def test_weather_station_answers_input_registers(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "pv-weather")
    try:
        poa, ghi, module_t, air_t = read(client, 0, 4, table="input")
    finally:
        client.close()
    assert 100 < poa < 1300 and 100 < ghi < 1200
    assert int16(module_t) > int16(air_t)  # sunlit modules run hotter than the air


def test_wind_turbine_uses_little_endian_words(sim: SimulatedSite) -> None:
    client = modbus_client(sim.site, "wind-turbine-1")
    try:
        low, high = read(client, 0, 2)
    finally:
        client.close()
    raw = high << 16 | low  # low word first
    raw = raw - (1 << 32) if raw & 0x80000000 else raw
    expected = float(sim.values("wind-turbine-1")["p_kw"])
    assert abs(raw * 0.01 - expected) < 1.0


def test_gateways_publish_json_at_their_template_paths(sim: SimulatedSite, mosquitto: Mosquitto) -> None:
    subscriber = Subscriber(mosquitto.port)
    try:
        chiller = subscriber.next_json("zc/chiller-plant/telemetry")
        queue = subscriber.next_json("zc/queue/queue")
    finally:
        subscriber.close()
    assert set(chiller) == {"ts", "plant", "chw", "outdoor"}
    assert chiller["plant"]["cooling_kw"] > chiller["plant"]["electric_kw"] > 0  # COP above 1
    assert isinstance(queue["tickets"]["issued_today"], int) and queue["tickets"]["issued_today"] > 0
    assert abs(queue["ts"] - sim.now()) < 5


def test_gateways_reach_a_broker_that_comes_up_after_the_simulator(site, fresh_mosquitto: Mosquitto) -> None:  # type: ignore[no-untyped-def]
    from tests.support.simsite import start_simulated_site

    fresh_mosquitto.stop()
    handle = start_simulated_site(site, fresh_mosquitto.port, publish_s=0.3)
    try:
        fresh_mosquitto.restart()
        subscriber = Subscriber(fresh_mosquitto.port)
        try:
            payload = subscriber.next_json("zc/parking/occupancy", timeout_s=15)
        finally:
            subscriber.close()
    finally:
        handle.stop()
    assert payload["occupied"] + payload["free"] == 2846  # every space is either taken or free
