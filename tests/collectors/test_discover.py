"""``zerocarbon discover``: find 'SunS', walk the chain, print decoded points, JSON and a ready template."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from models.loader import load_template
from tests.collectors.conftest import encode_point, load_sunspec
from tests.support.modbus import RegisterServer

ROOT = Path(__file__).resolve().parents[2]
INVERTER = {"Mn": "Zhuhai PV", "Md": "ZX-100K", "W": 12850, "W_SF": 0, "A": 1834, "AphA": 611, "AphB": 612,
            "AphC": 0xFFFF, "A_SF": -2, "WH": 123456, "WH_SF": 1, "St": 4, "Evt1": 128}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    return subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("base", [40000, 50000])
def test_json_lists_models_with_scaled_points(register_server: RegisterServer, base: int) -> None:
    load_sunspec(register_server, base, [1, 103], INVERTER)
    result = run("discover", f"modbus://127.0.0.1:{register_server.port}/1", "--json")
    assert result.returncode == 0, result.stderr
    models = json.loads(result.stdout)
    assert [(m["id"], m["name"]) for m in models] == [(1, "common"), (103, "inverter_three_phase")]
    common, inverter = models[0]["points"], models[1]["points"]
    assert common["Mn"] == {"value": "Zhuhai PV", "unit": "", "quality": "good"}
    p = inverter
    assert p["W"] == {"value": 12850.0, "unit": "W", "quality": "good"}
    assert p["AphC"] == {"value": None, "unit": "A", "quality": "not_implemented"}
    assert p["A"]["value"] == pytest.approx(18.34)  # 1834 * 10**-2
    assert p["WH"]["value"] == pytest.approx(1234560.0)  # 123456 * 10**1 Wh
    assert p["Evt1"]["value"] == 128 and p["Evt1"]["flags"] == ["OVER_TEMP"]  # bit 7
    assert p["St"]["state"] == "MPPT"


def test_human_output_shows_missing_points_and_flag_names(register_server: RegisterServer) -> None:
    load_sunspec(register_server, 40000, [1, 103], INVERTER)
    result = run("discover", f"modbus://127.0.0.1:{register_server.port}/1")
    assert result.returncode == 0, result.stderr
    assert "model 103 inverter_three_phase at 40070" in result.stdout
    assert "AphC" in result.stdout and "missing A  [not_implemented]" in result.stdout
    assert "['OVER_TEMP']" in result.stdout


def test_template_output_is_a_valid_template(register_server: RegisterServer, tmp_path: Path) -> None:
    load_sunspec(register_server, 40000, [1, 103], INVERTER)
    result = run("discover", f"modbus://127.0.0.1:{register_server.port}/1", "--template")
    assert result.returncode == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    path = tmp_path / f"{doc['id']}.yaml"
    path.write_text(result.stdout)
    template, problems = load_template(path)
    assert problems == [] and template is not None
    assert template.sunspec is not None and template.sunspec.models == [1, 103]  # type: ignore[union-attr]


def test_reads_a_given_template(register_server: RegisterServer) -> None:
    from models.template import RegisterPoint

    register_server.set_registers(0, encode_point(RegisterPoint(name="p", address=0, type="float32"), 231.5))
    result = run("discover", f"modbus://127.0.0.1:{register_server.port}/1", "--with-template", "energy-meter",
                 "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["v_avg"] == {"value": 231.5, "unit": "V", "quality": "good"}


def test_not_a_sunspec_device_says_what_to_do(register_server: RegisterServer) -> None:
    result = run("discover", f"modbus://127.0.0.1:{register_server.port}/1", "--timeout", "0.5")
    assert result.returncode == 1
    assert "no 'SunS' marker at 40000, 0, 50000" in result.stderr and "--with-template" in result.stderr


def test_bad_address_is_explained() -> None:
    result = run("discover", "tcp://somewhere")
    assert result.returncode != 0 and "modbus://HOST:PORT/UNIT" in result.stderr
