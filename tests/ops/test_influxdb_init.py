"""deploy/influxdb/init/10-zerocarbon-v1.sh: the v1 database mapping and v1 user created at first start.

No InfluxDB 2.7 runs here (Debian ships 1.6), so the script runs against a recording stand-in for the
``influx`` CLI on PATH: this checks the calls and flags it makes (as documented for influx CLI 2.7) and that
it stops, naming the variable, when a setting is missing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT

SCRIPT = ROOT / "deploy" / "influxdb" / "init" / "10-zerocarbon-v1.sh"
FIRST_START_ENV = {
    "DOCKER_INFLUXDB_INIT_BUCKET_ID": "0a1b2c3d4e5f6789",
    "DOCKER_INFLUXDB_INIT_ORG": "zhuhai-citizen-service-center",
    "ZEROCARBON_INFLUX_DB": "zerocarbon",
    "ZEROCARBON_INFLUX_USERNAME": "zerocarbon",
    "ZEROCARBON_INFLUX_PASSWORD": "pw with spaces",
}


def run_script(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir(exist_ok=True)
    stand_in = bin_dir / "influx"
    stand_in.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\037" "$a"; done >> {calls}\necho >> {calls}\n')
    stand_in.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZEROCARBON_", "DOCKER_INFLUXDB_"))}
    done = subprocess.run(
        [str(SCRIPT)], env={**base, **env, "PATH": f"{bin_dir}:{base['PATH']}"}, capture_output=True, text=True,
        timeout=30,
    )  # fmt: skip
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done, [line.rstrip("\x1f").split("\x1f") for line in lines]


def flag(call: list[str], name: str) -> str:
    return call[call.index(name) + 1]


def test_script_is_executable_bash(tmp_path: Path) -> None:
    assert os.access(SCRIPT, os.X_OK), "the influxdb entrypoint runs only executable *.sh files"
    assert subprocess.run(["bash", "-n", str(SCRIPT)], timeout=30).returncode == 0


def test_maps_the_v1_database_to_the_bucket_and_creates_the_v1_user(tmp_path: Path) -> None:
    done, calls = run_script(tmp_path, FIRST_START_ENV)
    assert done.returncode == 0, done.stderr
    dbrp, auth = calls
    assert dbrp[:3] == ["v1", "dbrp", "create"] and "--default" in dbrp
    assert (flag(dbrp, "--db"), flag(dbrp, "--rp"), flag(dbrp, "--bucket-id")) == (
        "zerocarbon",
        "autogen",
        "0a1b2c3d4e5f6789",
    )
    assert auth[:3] == ["v1", "auth", "create"]
    assert flag(auth, "--username") == "zerocarbon" and flag(auth, "--password") == "pw with spaces"
    assert flag(auth, "--read-bucket") == flag(auth, "--write-bucket") == "0a1b2c3d4e5f6789"
    assert {flag(dbrp, "--org"), flag(auth, "--org")} == {"zhuhai-citizen-service-center"}


@pytest.mark.parametrize(
    "missing", ["ZEROCARBON_INFLUX_PASSWORD", "ZEROCARBON_INFLUX_USERNAME", "DOCKER_INFLUXDB_INIT_BUCKET_ID"]
)
def test_stops_before_any_call_naming_the_missing_variable(tmp_path: Path, missing: str) -> None:
    env = {k: v for k, v in FIRST_START_ENV.items() if k != missing}
    done, calls = run_script(tmp_path, env)
    assert done.returncode != 0 and missing in done.stderr
    assert calls == []


def test_compose_mounts_the_script_where_the_entrypoint_looks(stack: dict[str, object]) -> None:
    volumes = stack["services"]["influxdb"]["volumes"]  # type: ignore[index]
    assert f"{SCRIPT.parent}:/docker-entrypoint-initdb.d:ro" in volumes
