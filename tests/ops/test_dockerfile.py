"""The Dockerfile builds one image for every service, as a non-root user, from a context without secrets.

No Docker engine runs here, so the build context is computed with docker-py's own ``exclude_paths`` (the
library docker-compose 1.29 builds with) and the Dockerfile is read instruction by instruction.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT
from zerocarbon.settings import load_settings

CONTEXT_FILES = """
import json, sys
from docker.utils.build import exclude_paths
patterns = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
print(json.dumps(sorted(exclude_paths(".", patterns))))
"""


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


@pytest.fixture(scope="module")
def context_files() -> set[str]:
    # /usr/bin/python3 is Debian's, where docker-compose and docker-py live (not in the project venv)
    done = subprocess.run(
        ["/usr/bin/python3", "-c", CONTEXT_FILES], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_runs_as_a_non_root_user() -> None:
    users = [args for kw, args in instructions() if kw == "USER"]
    assert users, "no USER: the services would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    order = [kw for kw, _ in instructions()]
    assert order.index("ENTRYPOINT") > max(i for i, kw in enumerate(order) if kw == "USER")


def test_every_package_is_copied_into_the_build(context_files: set[str]) -> None:
    copied = {args.split()[0].rstrip("/") for kw, args in instructions() if kw == "COPY" and "--from" not in args}
    assert set(packages()) <= copied
    for source in copied:
        assert any(f == source or f.startswith(source + "/") for f in context_files), f"{source} not in context"


def test_build_context_holds_no_secret_nor_local_state(context_files: set[str]) -> None:
    assert "config/site.yaml" in context_files and "zerocarbon/health.py" in context_files
    leaks = [
        f
        for f in context_files
        if f.endswith((".env", ".duckdb", ".pyc")) or f.startswith((".venv/", "data/", "deploy/", ".git/", "tests/"))
    ]
    assert leaks == []


def test_entrypoint_is_the_project_command_and_health_uses_zerocarbon_health() -> None:
    found = dict(instructions())
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(found["ENTRYPOINT"]) == ["zerocarbon"] and "zerocarbon" in scripts
    assert found["HEALTHCHECK"].endswith('CMD ["python", "-m", "zerocarbon.health"]')


def test_image_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env_line = next(args for kw, args in instructions() if kw == "ENV")
    pairs = dict(item.split("=", 1) for item in env_line.split())
    assert pairs["ZEROCARBON_DATA_DIR"] == "/var/lib/zerocarbon"
    assert f'VOLUME ["{pairs["ZEROCARBON_DATA_DIR"]}"]' in {f"{kw} {args}" for kw, args in instructions()}
    for key, value in pairs.items():
        if key.startswith("ZEROCARBON_"):
            monkeypatch.setenv(key, value)
    settings = load_settings(env_file=Path("/nonexistent/.env"))
    assert settings.health_port == 9108
