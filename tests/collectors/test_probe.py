"""``zerocarbon probe``: one block from a real pymodbus server, decoded in every order, as text and JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.collectors.test_orders import EXAMPLES_64, MIXED_VALUES
from tests.support.modbus import RegisterServer
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    return subprocess.run([exe, "probe", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_probe_shows_which_order_gives_a_plausible_value(register_server: RegisterServer) -> None:
    for address, words in MIXED_VALUES.items():
        register_server.set_registers(address, words)
    url = f"modbus://127.0.0.1:{register_server.port}/1"
    result = probe(url, "--address", "0", "--type", "float32", "--count", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("holding 0+4: 8000 4366 0000 4144")
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert list(rows) == ["ABCD", "BADC", "CDAB", "DCBA"]
    assert rows["CDAB"] == ["230.5", "12.25"]  # the meter's floats are word-swapped
    assert rows["ABCD"][0] != "230.5"
    doc = json.loads(probe(url, "--address", "100", "--type", "uint32", "--json").stdout)
    assert doc["registers"] == [0x075B, 0xCD15]
    assert doc["orders"] == {"ABCD": [123456789], "BADC": [0x5B0715CD], "CDAB": [0xCD15075B], "DCBA": [0x15CD5B07]}


def test_probe_reads_input_registers_and_names_64_bit_orders(register_server: RegisterServer) -> None:
    register_server.set_registers(7, EXAMPLES_64["GHEFCDAB"], table="input")
    url = f"modbus://127.0.0.1:{register_server.port}/1"
    doc = json.loads(probe(url, "--address", "7", "--type", "uint64", "--function", "input", "--json").stdout)
    assert doc["orders"]["GHEFCDAB"] == [0x0102030405060708]
    assert set(doc["orders"]) == {"ABCDEFGH", "BADCFEHG", "GHEFCDAB", "HGFEDCBA"}
    assert register_server.reads == [(4, 7, 4)]


def test_probe_of_a_silent_device_is_one_line_and_exit_1() -> None:
    port = free_port()
    result = probe(f"modbus://127.0.0.1:{port}/1", "--address", "0", "--timeout", "0.5")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1  # the error seam's DeviceError line
    assert result.stderr.startswith(f"zerocarbon probe: 127.0.0.1:{port}/1: cannot connect to 127.0.0.1:{port}")


def test_probe_refuses_wrong_options_as_input_errors() -> None:
    result = probe("modbus://127.0.0.1:1/1", "--address", "0", "--type", "float64", "--count", "40")
    assert result.returncode == 2
    assert result.stderr.strip() == ("zerocarbon probe: --count 40: 40 x float64 is 160 registers from 0; one read "
                                     "is at most 125 registers within 0-65535: lower --count")
    result = probe("modbus://127.0.0.1:1/1", "--address", "0", "--type", "float16")
    assert result.returncode == 2 and result.stderr.startswith("zerocarbon probe: --type 'float16': use one of")
