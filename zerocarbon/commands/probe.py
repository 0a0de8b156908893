"""``zerocarbon probe modbus://HOST:PORT/UNIT --address A --type float32``: read one block and print it decoded in
every byte and word order, so the right ``order`` for a template is seen, not guessed."""

from __future__ import annotations

import asyncio
import json

import typer

from models.vocabulary import DataType
from zerocarbon.commands.discover import parse_address

TYPES = [t.value for t in DataType if t is not DataType.STRING]


async def _read(host: str, port: int, unit: int, function: str, address: int, count: int, timeout: float) -> list[int]:
    from collectors.modbus import DeviceReader
    from collectors.planner import ReadBlock
    from models.site import ModbusConnection

    reader = DeviceReader(f"{host}:{port}/{unit}", ModbusConnection(host=host, port=port, unit_id=unit), timeout)
    try:
        return await reader.read(ReadBlock(function, address, count, ()))
    finally:
        reader.close()


def _show(value: int | float | None) -> str:
    if value is None:
        return "nan/inf"
    return f"{value:.7g}" if isinstance(value, float) else str(value)


def probe(
    url: str = typer.Argument(..., metavar="modbus://HOST:PORT/UNIT"),
    address: int = typer.Option(..., "--address", min=0, max=65535, help="first register (0-based, as in templates)"),
    type_: str = typer.Option("float32", "--type", help=f"one of {', '.join(TYPES)}"),
    count: int = typer.Option(1, "--count", min=1, help="how many consecutive values of that type"),
    function: str = typer.Option("holding", "--function", help="holding (FC 3) or input (FC 4)"),
    as_json: bool = typer.Option(False, "--json", help="print registers and values per order as JSON"),
    timeout: float = typer.Option(2.0, help="seconds to wait for the answer"),
) -> None:
    """Read one block and print it decoded in every byte and word order (ABCD, BADC, CDAB, DCBA, ...).

    A wrong option is an InputError (exit 2), a device that does not answer a DeviceError (exit 1): the error
    seam (zerocarbon/error_seam.py) prints either as one line."""
    from collectors.probe import decode_every_order, registers_needed
    from models.errors import InputError

    host, port, unit = parse_address(url)
    if type_ not in TYPES:
        raise InputError(f"--type {type_!r}: use one of {', '.join(TYPES)}")
    if function not in ("holding", "input"):
        raise InputError(f"--function {function!r}: use holding (FC 3) or input (FC 4)")
    dtype = DataType(type_)
    n = registers_needed(dtype, count)
    if n > 125 or address + n > 65536:
        raise InputError(f"--count {count}: {count} x {type_} is {n} registers from {address}; one read is at most "
                         "125 registers within 0-65535: lower --count")
    registers = asyncio.run(_read(host, port, unit, function, address, n, timeout))
    orders = decode_every_order(registers, dtype, count)
    if as_json:
        doc = {"address": address, "function": function, "type": type_, "count": count,
               "registers": registers, "orders": orders}
        typer.echo(json.dumps(doc, indent=1))
        return
    typer.echo(f"{host}:{port} unit {unit} {function} {address}+{n}: " + " ".join(f"{r:04X}" for r in registers))
    for name, values in orders.items():
        typer.echo(f"  {name:<9} " + "  ".join(_show(v) for v in values))


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)
