"""Session fixtures: real mosquitto, real influxd, real pymodbus servers on free loopback ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.modbus import RegisterServer
from tests.support.processes import Influxd, Mosquitto, start_influxd, start_mosquitto

ROOT = Path(__file__).resolve().parents[1]
SITE_FILE = ROOT / "config" / "site.yaml"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def site_file() -> Path:
    return SITE_FILE


@pytest.fixture(scope="session")
def site(site_file: Path):  # type: ignore[no-untyped-def]
    from models.loader import load_site

    return load_site(site_file)


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    server = start_mosquitto(tmp_path_factory.mktemp("mosquitto"))
    yield server
    server.stop()


@pytest.fixture
def fresh_mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of this test's own, for tests that stop or restart it."""
    server = start_mosquitto(tmp_path / "mosquitto")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    server = start_influxd(tmp_path_factory.mktemp("influxd"))
    yield server
    server.stop()


@pytest.fixture
def fresh_influxd(tmp_path: Path) -> Iterator[Influxd]:
    """An influxd of this test's own, for outage tests that kill it."""
    server = start_influxd(tmp_path / "influxd")
    yield server
    server.stop()


@pytest.fixture
def register_server() -> Iterator[RegisterServer]:
    server = RegisterServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the developer's ./data."""
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(tmp_path / "data"))
    os.environ.pop("ZEROCARBON_STORE", None)
