"""Stores under test: every contract test runs against the embedded DuckDB store and a real influxd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.duckdb_store import DuckDBStore

SITE_TZ = "Asia/Shanghai"


def _duckdb(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(tmp_path / "store.duckdb", timezone=SITE_TZ)


def _influx(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    from storage.influx_store import InfluxStore

    server = request.getfixturevalue("influxd")
    name = f"t{abs(hash(request.node.nodeid)) % 10**12}"
    return InfluxStore(server.url, name, timezone=SITE_TZ)


BACKENDS = ["duckdb"]
try:  # the InfluxDB backend joins the contract suite once it exists
    import storage.influx_store  # noqa: F401

    BACKENDS.append("influxdb")
except ImportError:
    pass


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    opened = _duckdb(tmp_path) if request.param == "duckdb" else _influx(request)
    yield opened
    opened.close()


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[DuckDBStore]:
    opened = _duckdb(tmp_path)
    yield opened
    opened.close()
