"""The settings the stack adds (health port, lease) are validated at start: a bad value stops with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.errors import ConfigError
from zerocarbon.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_stack_settings_have_safe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZEROCARBON_HEALTH_PORT", "ZEROCARBON_HEALTH_HOST", "ZEROCARBON_SCHEDULER_LEASE_S"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(env_file=Path("/nonexistent/.env"))
    assert s.health_port is None and s.health_host == "127.0.0.1" and s.scheduler_lease_s == 30.0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ZEROCARBON_HEALTH_PORT", "ninety"),
        ("ZEROCARBON_HEALTH_PORT", "70000"),
        ("ZEROCARBON_SCHEDULER_LEASE_S", "1"),
        ("ZEROCARBON_HEALTH_PROT", "9108"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings(env_file=Path("/nonexistent/.env"))
    assert f"environment {name}:" in str(err.value)


def test_bad_value_in_dotenv_names_the_file_and_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEROCARBON_HEALTH_PORT", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("ZEROCARBON_HEALTH_PORT=-1\n")
    with pytest.raises(ConfigError, match=rf"{env_file} ZEROCARBON_HEALTH_PORT: Input should be greater than"):
        load_settings(env_file=env_file)


def test_a_service_stops_on_a_bad_setting_and_says_which(tmp_path: Path) -> None:
    env = {**os.environ, "ZEROCARBON_HEALTH_PORT": "http"}
    done = subprocess.run(
        [sys.executable, "-m", "zerocarbon", "collect"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "environment ZEROCARBON_HEALTH_PORT: Input should be a valid integer" in done.stderr
    assert "Traceback" not in done.stderr


def test_top_level_env_example_names_only_real_settings() -> None:
    from zerocarbon.settings import PREFIX, Settings

    names = {
        line.lstrip("# ").split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.lstrip("# ").startswith(PREFIX) and "=" in line
    }
    fields = {PREFIX + field.upper() for field in Settings.model_fields}
    assert names <= fields, f"not settings (a typo stops every command): {names - fields}"
    assert {"ZEROCARBON_HEALTH_PORT", "ZEROCARBON_STORE", "ZEROCARBON_INFLUX_PASSWORD"} <= names


def test_the_console_admin_password_variable_is_a_known_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # deploy/.env sets it for the dashboard; every other service reads the same env file and must accept it
    monkeypatch.setenv("ZEROCARBON_ADMIN_PASSWORD", "first-admin-pw")
    assert load_settings(env_file=Path("/nonexistent/.env")).admin_password == "first-admin-pw"


def test_modbus_transport_is_one_of_the_transports(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.vocabulary import ModbusTransport

    monkeypatch.setenv("ZEROCARBON_MODBUS_TRANSPORT", "wire")
    assert load_settings(env_file=Path("/nonexistent/.env")).modbus_transport is ModbusTransport.WIRE
    monkeypatch.setenv("ZEROCARBON_MODBUS_TRANSPORT", "lean")
    with pytest.raises(ConfigError, match="environment ZEROCARBON_MODBUS_TRANSPORT: Input should be 'pymodbus' or "
                                          "'wire'"):
        load_settings(env_file=Path("/nonexistent/.env"))
