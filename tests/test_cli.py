"""The one console script and its subcommands, run as a user runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe, "the console script 'zerocarbon' is not installed in this environment"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_help_lists_subcommands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "check-config" in result.stdout


def test_check_config_accepts_the_site() -> None:
    result = run("check-config", "config/site.yaml")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "17 subsystems" in result.stdout
    assert "PV 1600 kWp" in result.stdout


def test_check_config_rejects_a_broken_file_with_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text(
        (ROOT / "config/site.yaml")
        .read_text(encoding="utf-8")
        .replace("template: sunspec-inverter", "template: sunspec-invertr", 1),
        encoding="utf-8",
    )
    result = run("check-config", str(bad), "--templates", str(ROOT / "config/templates"))
    assert result.returncode == 2
    line = next(i + 1 for i, t in enumerate(bad.read_text(encoding="utf-8").splitlines()) if "sunspec-invertr" in t)
    assert (
        f"{bad}:{line} devices[2].template: unknown template 'sunspec-invertr' (did you mean 'sunspec-inverter'?)"
    ) in result.stderr


def test_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, ZEROCARBON_STORE="mongodb")
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    result = subprocess.run([exe, "check-config"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "ZEROCARBON_STORE" in result.stderr
