"""Every executable the tree calls comes from a package ``scripts/system-deps.sh`` installs (issue: a new machine
ran ``make test`` without mosquitto-clients, and the compose health check's ``mosquitto_sub`` was not found)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from tests.support.executables import (
    KNOWN_PACKAGES,
    compose_uses,
    python_uses,
    scan_tree,
    script_packages,
    shell_uses,
    unprovided,
)

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def test_every_executable_the_tree_calls_is_installed_by_system_deps() -> None:
    found = scan_tree(ROOT)
    # the scan really reads the tree: the servers of the fixtures and the compose health check's client
    assert {"mosquitto", "influxd", "mosquitto_sub", "pdftoppm", "openssl", "docker-compose"} <= set(found)
    assert unprovided(found, script_packages(ROOT), VENV_BIN) == []


def test_the_kept_package_map_names_only_listed_packages() -> None:
    assert set(KNOWN_PACKAGES.values()) <= script_packages(ROOT, "test")


def test_a_planted_binary_without_its_package_is_caught(tmp_path: Path) -> None:
    (tmp_path / "tool.py").write_text(textwrap.dedent("""
        import shutil, subprocess
        from subprocess import Popen
        FROB = "/usr/bin/frobnicate"

        def run(*args):
            subprocess.run(args, check=True)

        subprocess.run([FROB, "-x"])
        Popen(["sh", "-c", "quuxctl --ping && true"])
        shutil.which("zorkd")
        run("blorpify", "--all")
    """))
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "go.sh").write_text("#!/bin/sh\nset -eu\nhelper() { :; }\nhelper\nx=$(wibble -q)\n")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  a:\n    healthcheck:\n      test: [CMD-SHELL, 'flumph -c 1 || exit 1']\n"
        "  b:\n    healthcheck:\n      test: [CMD, grault, ping]\n"
    )
    found = scan_tree(tmp_path)
    planted = {"frobnicate", "quuxctl", "zorkd", "blorpify", "wibble", "flumph", "grault"}
    assert planted <= set(found), found
    assert "helper" not in found and "set" not in found and "exit" not in found
    assert found["frobnicate"] == ["tool.py:9"]
    problems = unprovided(found, script_packages(ROOT), VENV_BIN)
    assert {p.split(" ")[0] for p in problems} == planted


def test_an_installed_binary_whose_package_is_not_listed_is_caught() -> None:
    # openssl is installed here; with the script's list lacking its package the check names it
    found = {"openssl": ["x.py:1"], "sed": ["x.sh:2"]}
    problems = unprovided(found, script_packages(ROOT) - {"openssl"}, VENV_BIN)
    assert len(problems) == 1 and problems[0].startswith("openssl (called at x.py:1): its package openssl")
    assert unprovided(found, script_packages(ROOT), VENV_BIN) == []  # sed: Essential, on every Debian


def test_a_wrong_entry_in_the_kept_map_is_caught() -> None:
    problems = unprovided({"openssl": ["x.py:1"]}, script_packages(ROOT), VENV_BIN, known={"openssl": "libssl3"})
    assert problems == ["openssl: KNOWN_PACKAGES says libssl3, dpkg says openssl; correct the map"]


def test_shell_words_are_commands_not_arguments_or_patterns() -> None:
    script = 'pkgs=(alpha beta)\ncase "$t" in\n  demo) pkgs=("${x[@]}") ;;\n  *) echo no >&2; exit 2 ;;\nesac\n' \
        'if [ -f a ] && grep -q b c; then sed -n p d | tail -n 1; fi\n'
    assert [u.name for u in shell_uses(script, "s")] == ["grep", "sed", "tail"]


def test_repo_helpers_are_read(tmp_path: Path) -> None:
    assert any(u.name == "mosquitto_sub" for u in compose_uses(ROOT / "docker-compose.yml", ROOT))
    uses = python_uses(ROOT / "tests" / "collectors" / "conftest.py", ROOT)
    assert {"openssl", "mosquitto_passwd", "mosquitto"} <= {u.name for u in uses}
