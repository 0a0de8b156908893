"""Byte and word order per template and per point: the worked examples of docs/collectors.md, a meter that mixes
orders served over real Modbus TCP (both transports), and the template errors a wrong order gives."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectors.decode import BlockDecoder, ByteOrder
from collectors.modbus import DevicePoller
from models.loader import load_template
from models.reading import Quality, Reading
from models.template import ModbusTemplate, RegisterPoint
from models.vocabulary import DataType
from simulators.registers import RegisterImage, encode_device, pack_raw
from tests.collectors.conftest import modbus_device, write_site
from tests.support.modbus import RegisterServer

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"

# The worked examples of docs/collectors.md: the registers a device sends, first to last, for each order.
UINT32 = 0x075BCD15  # 123456789
FLOAT32 = 230.5  # 0x43668000
UINT64 = 0x0102030405060708
EXAMPLES = {
    "ABCD": ([0x075B, 0xCD15], [0x4366, 0x8000]),
    "CDAB": ([0xCD15, 0x075B], [0x8000, 0x4366]),
    "BADC": ([0x5B07, 0x15CD], [0x6643, 0x0080]),
    "DCBA": ([0x15CD, 0x5B07], [0x0080, 0x6643]),
}
EXAMPLES_64 = {
    "ABCDEFGH": [0x0102, 0x0304, 0x0506, 0x0708],
    "GHEFCDAB": [0x0708, 0x0506, 0x0304, 0x0102],
    "BADCFEHG": [0x0201, 0x0403, 0x0605, 0x0807],
    "HGFEDCBA": [0x0807, 0x0605, 0x0403, 0x0201],
}


def pt(name: str, address: int, type_: str, **kw: object) -> RegisterPoint:
    return RegisterPoint(name=name, address=address, type=type_, **kw)  # type: ignore[arg-type]


def wire(registers: list[int]) -> bytes:
    return struct.pack(f">{len(registers)}H", *registers)


def both_paths(decoder: BlockDecoder, registers: list[int]) -> dict[str, object]:
    """Decode through the polling fast path (bytes off the wire) and the register path; they must agree."""
    fast = dict(zip(decoder.numeric_names, decoder.values(wire(registers)), strict=True))
    assert fast == decoder.raw(registers)
    return fast


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_docs_worked_example_of_each_32_bit_order(name: str) -> None:
    counter, voltage = EXAMPLES[name]
    by_template = BlockDecoder(0, 4, [pt("n", 0, "uint32"), pt("v", 2, "float32")], ByteOrder.named(name))
    assert both_paths(by_template, counter + voltage) == {"n": UINT32, "v": FLOAT32}
    by_point = BlockDecoder(0, 4, [pt("n", 0, "uint32", order=name), pt("v", 2, "float32", order=name)], ByteOrder())
    assert both_paths(by_point, counter + voltage) == {"n": UINT32, "v": FLOAT32}


@pytest.mark.parametrize("name", list(EXAMPLES_64))
def test_docs_worked_example_of_each_64_bit_order(name: str) -> None:
    decoder = BlockDecoder(0, 4, [pt("n", 0, "uint64", order=name)], ByteOrder())
    assert both_paths(decoder, EXAMPLES_64[name]) == {"n": UINT64}


def test_big_and_little_are_aliases_of_abcd_and_dcba() -> None:
    assert ByteOrder.named("big") == ByteOrder.named("ABCD") == ByteOrder.named("ABCDEFGH")
    assert ByteOrder.named("little") == ByteOrder.named("DCBA") == ByteOrder.named("HGFEDCBA")
    assert ByteOrder.named("CDAB").name == "CDAB" and ByteOrder.named("GHEFCDAB").name == "CDAB"


def test_one_block_mixing_four_orders_decodes_every_point() -> None:
    points = [pt(f"n_{n}", 2 * i, "uint32", order=n) for i, n in enumerate(EXAMPLES)]
    registers = [r for counter, _ in EXAMPLES.values() for r in counter]
    assert set(both_paths(BlockDecoder(0, 8, points, ByteOrder()), registers).values()) == {UINT32}


def test_int16_follows_the_byte_axis_of_its_order() -> None:
    points = [pt("a", 0, "int16", order="CDAB"), pt("b", 1, "int16", order="BADC"), pt("c", 2, "int16")]
    assert both_paths(BlockDecoder(0, 3, points, ByteOrder()), [0xFF85, 0x85FF, 0xFF85]) == {"a": -123, "b": -123,
                                                                                               "c": -123}


# The mixed meter of config/templates/mixed-order-meter.yaml: CDAB floats, ABCD uint32 counters (0.01 kWh),
# an ABCDEFGH uint64 Wh counter. Registers written by hand from the docs' table, not by our encoder.
MIXED_VALUES = {
    0: [0x8000, 0x4366],  # v_avg 230.5 V = 0x43668000, low word first
    2: [0x0000, 0x4144],  # i_avg 12.25 A = 0x41440000
    4: [0x0000, 0x4108],  # p_kw 8.5 = 0x41080000
    6: [0x51EC, 0x3F78],  # pf 0.97 ~ 0x3F7851EC
    8: [0x0000, 0x4248],  # hz 50.0 = 0x42480000
    100: [0x075B, 0xCD15],  # import_kwh raw 123456789 x 0.01 = 1234567.89 kWh (CDAB would read 34407074.19)
    102: [0x0000, 0x00FA],  # export_kwh raw 250 x 0.01 = 2.5 kWh
    104: [0x0000, 0x011F, 0x71FB, 0x04CB],  # import_wh 1234567890123 = 0x0000011F71FB04CB
}
MIXED_EXPECTED = {"v_avg": 230.5, "i_avg": 12.25, "p_kw": 8.5, "pf": pytest.approx(0.97), "hz": 50.0,
                  "import_kwh": pytest.approx(1234567.89), "export_kwh": pytest.approx(2.5),
                  "import_wh": 1234567890123.0}


@pytest.fixture(params=["wire", "pymodbus"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def mixed_poller(tmp_path: Path, port: int, transport: str) -> DevicePoller:
    site = write_site(tmp_path, [modbus_device("meter-x", "mixed-order-meter", port,
                                               poll_s={"default": 1, "energy": 60})])
    template = site.template_of(site.devices[0])
    assert isinstance(template, ModbusTemplate)
    return DevicePoller(site.devices[0], template, transport=transport)


def values_of(readings: list[Reading]) -> dict[str, float | None]:
    return {r.point_id.split(".", 1)[1]: r.value for r in readings}


def test_meter_mixing_orders_decodes_all_its_values_over_modbus_tcp(
    transport: str, tmp_path: Path, register_server: RegisterServer
) -> None:
    for address, words in MIXED_VALUES.items():
        register_server.set_registers(address, words)
    poller = mixed_poller(tmp_path, register_server.port, transport)

    async def both_groups() -> list[Reading]:
        return [*await poller.poll("default"), *await poller.poll("energy")]

    readings = asyncio.run(both_groups())
    poller.close()
    assert values_of(readings) == MIXED_EXPECTED
    assert {r.quality for r in readings} == {Quality.GOOD}
    assert register_server.reads == [(3, 0, 10), (3, 100, 8)]  # one read per group, whatever the orders


def test_simulator_serves_the_mixed_meter_exactly_as_the_docs_lay_it_out() -> None:
    template, problems = load_template(TEMPLATES / "mixed-order-meter.yaml")
    assert not problems and isinstance(template, ModbusTemplate)
    image = RegisterImage()
    encode_device(image, template, {"v_avg": 230.5, "i_avg": 12.25, "p_kw": 8.5, "pf": 0.97, "hz": 50.0,
                                    "import_kwh": 1234567.89, "export_kwh": 2.5, "import_wh": 1234567890123})
    for address, words in MIXED_VALUES.items():
        assert image.read("holding", address, len(words)) == words, address


def test_out_of_range_value_is_kept_as_suspect_and_counted(
    tmp_path: Path, register_server: RegisterServer
) -> None:
    for address, words in MIXED_VALUES.items():
        register_server.set_registers(address, words)
    register_server.set_registers(8, [0x0000, 0x4448])  # hz 800.0 = 0x44480000: outside [45, 65]
    poller = mixed_poller(tmp_path, register_server.port, "wire")
    readings = {r.point_id: r for r in asyncio.run(poller.poll("default"))}
    poller.close()
    assert readings["meter-x.hz"].value == 800.0 and readings["meter-x.hz"].quality is Quality.SUSPECT
    assert readings["meter-x.v_avg"].quality is Quality.GOOD
    assert poller.health.suspect_readings == 1


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ("{name: w, address: 10, type: float32, order: ABDC}", "points[1].order: Input should be 'ABCD', 'BADC'"),
        ("{name: w, address: 10, type: float64, order: CDAB}",
         "points[1]: point 'w' is float64 (4 registers): name its order with 8 letters, GHEFCDAB for CDAB"),
        ("{name: w, address: 10, type: uint32, order: GHEFCDAB}",
         "points[1]: point 'w' is uint32: name its order with 4 letters (CDAB for GHEFCDAB)"),
        ("{name: w, address: 10, type: uint32, order: CDAB, word_order: little}",
         "points[1]: 'order: CDAB' and 'byte_order'/'word_order' say the same thing twice; keep only 'order'"),
        ("{name: w, address: 10, type: uint32, range: [5, 1]}",
         "points[1]: range [5.0, 1.0]: write it as [min, max] with min < max"),
    ],
)
def test_wrong_order_or_range_names_file_line_key_and_fix(tmp_path: Path, point: str, message: str) -> None:
    path = tmp_path / "t-x.yaml"
    path.write_text(f"id: t-x\nprotocol: modbus\npoints:\n  - {{name: v, address: 0, type: float32}}\n  - {point}\n")
    template, problems = load_template(path)
    assert template is None and len(problems) == 1
    assert str(problems[0]).startswith(f"{path}:5 {message}"), str(problems[0])


def test_a_point_word_order_overrides_only_that_axis_of_the_template() -> None:
    template = ModbusTemplate(id="t", byte_order="little", points=[pt("a", 0, "uint32", word_order="little"),
                                                                      pt("b", 2, "uint32")])
    assert template.axes_of(template.points[0]) == ("little", "little")
    assert template.axes_of(template.points[1]) == ("little", "big")


def test_sunspec_templates_stay_big_endian() -> None:
    with pytest.raises(ValueError, match="SunSpec devices are big-endian"):
        ModbusTemplate(id="t", order="CDAB", sunspec={"models": [103]})  # type: ignore[arg-type]


WIDTHS = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "int64": 4, "uint64": 4, "float64": 4}
BOUNDS = {"int16": (-(2**15), 2**15 - 1), "uint16": (0, 2**16 - 1), "int32": (-(2**31), 2**31 - 1),
          "uint32": (0, 2**32 - 1), "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1)}


@st.composite
def typed_values(draw: st.DrawFn) -> tuple[str, int | float, str]:
    type_ = draw(st.sampled_from(sorted(WIDTHS)))
    if type_.startswith("float"):
        value: int | float = draw(st.floats(allow_nan=False, allow_infinity=False, width=int(type_[-2:])))
    else:
        value = draw(st.integers(*BOUNDS[type_]))
    names = list(EXAMPLES_64) if WIDTHS[type_] == 4 else list(EXAMPLES)
    return type_, value, draw(st.sampled_from([*names, "big", "little"]))


@given(typed_values())
def test_the_simulators_encoding_decodes_back_in_every_order(case: tuple[str, int | float, str]) -> None:
    type_, value, name = case
    order = ByteOrder.named(name)
    words = pack_raw(DataType(type_), value, order.byte_order, order.word_order)
    decoder = BlockDecoder(0, len(words), [pt("v", 0, type_, order=name)], ByteOrder())
    assert both_paths(decoder, words) == {"v": value}
