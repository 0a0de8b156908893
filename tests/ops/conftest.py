"""Fixtures for the production-stack tests: the compose file as docker-compose resolves it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ZEROCARBON_SERVICES = ("collector", "alerts", "dashboard", "simulator")


def docker_compose() -> str:
    path = shutil.which("docker-compose")
    if path is None:  # fail loudly: `make test` installs it (scripts/system-deps.sh test)
        raise RuntimeError("docker-compose not found: install Debian's docker-compose package (make test does this)")
    return path


def compose_config(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``docker-compose -f docker-compose.yml [args] config`` in the checkout, with the example env files."""
    full_env = {
        **os.environ,
        "ZC_ENV_FILE": "deploy/.env.example",
        "ZC_INFLUXDB_ENV_FILE": "deploy/influxdb.env.example",
        **(env or {}),
    }
    return subprocess.run(
        [docker_compose(), "-f", "docker-compose.yml", *args, "config"],  # args may add "-f override.yml"
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="session")
def stack() -> dict[str, Any]:
    """The resolved compose model (every profile enabled)."""
    done = compose_config("--profile", "simulator")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)  # type: ignore[no-any-return]
