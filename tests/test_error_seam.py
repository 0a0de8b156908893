"""The ``zerocarbon`` error seam: one stderr line, exit 2 for usage and input, 1 at run time, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from models.errors import ConfigError, ConfigProblem, InputError, StoreError
from zerocarbon.error_seam import ErrorSeam

ROOT = Path(__file__).resolve().parents[1]


def tiny_app() -> typer.Typer:
    app = typer.Typer(cls=ErrorSeam, add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def root(debug: bool = typer.Option(False, "--debug")) -> None:
        pass

    @app.command()
    def fail(kind: str, count: int = typer.Option(1)) -> None:
        if kind == "input":
            raise InputError("history.csv:3: unterminated quote; close it")
        if kind == "store":
            raise StoreError("data/zerocarbon.duckdb is locked by another process; stop it first")
        if kind == "config":
            raise ConfigError([ConfigProblem("site.yaml", 4, "devices[0].id", "required key is missing"),
                               ConfigProblem("site.yaml", 9, "mqtt", "unknown key")])
        if kind == "file":
            open("/nonexistent-dir/x")  # noqa: SIM115 - the OS error itself is what is tested
        if kind == "bug":
            raise KeyError("surprise")
        typer.echo("fine")

    return app


@pytest.mark.parametrize(
    ("kind", "status", "line"),
    [
        ("input", 2, "zerocarbon fail: history.csv:3: unterminated quote; close it"),
        ("store", 1, "zerocarbon fail: data/zerocarbon.duckdb is locked by another process; stop it first"),
        ("config", 2, "zerocarbon fail: site.yaml:4 devices[0].id: required key is missing (and 1 more problem(s): "
                      "run zerocarbon check-config)"),
        ("file", 1, "zerocarbon fail: /nonexistent-dir/x: No such file or directory"),
    ],
)
def test_expected_errors_are_one_line_with_their_status(kind: str, status: int, line: str) -> None:
    result = CliRunner().invoke(tiny_app(), ["fail", kind])
    assert (result.exit_code, result.stderr.splitlines(), result.stdout) == (status, [line], "")


def test_a_bad_option_is_one_usage_line_with_status_2() -> None:
    result = CliRunner().invoke(tiny_app(), ["fail", "x", "--count", "many"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "zerocarbon fail: Invalid value for '--count': Input should be a valid integer, unable to parse "
        "string as an integer; see zerocarbon fail --help"
    ]


def test_an_unexpected_error_names_the_log_holding_its_trace(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "errors.log"
    monkeypatch.setenv("ZEROCARBON_ERROR_LOG", str(log))
    result = CliRunner().invoke(tiny_app(), ["fail", "bug"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"zerocarbon fail: unexpected KeyError: 'surprise' (full trace in {log}; --debug prints it)"
    ]
    assert "Traceback" in log.read_text() and "raise KeyError(\"surprise\")" in log.read_text()
    debug = CliRunner().invoke(tiny_app(), ["--debug", "fail", "bug"])
    assert debug.exit_code == 1 and "Traceback" in debug.stderr and 'raise KeyError("surprise")' in debug.stderr


def test_success_is_untouched() -> None:
    result = CliRunner().invoke(tiny_app(), ["fail", "none"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "fine\n", "")


def test_the_real_command_answers_an_unknown_subcommand_in_one_line(tmp_path: Path) -> None:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    done = subprocess.run([exe, "frobnicate"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["zerocarbon frobnicate: No such command 'frobnicate'; see zerocarbon --help"]


def test_a_command_outside_the_checkout_names_the_site_file_and_zerocarbon_site(tmp_path: Path) -> None:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ZEROCARBON_")}
    done = subprocess.run([exe, "energy", "x", "--from", "2026-01-01", "--to", "2026-02-01"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert f"no site file at {tmp_path}/config/site.yaml" in line and "ZEROCARBON_SITE=" in line


def test_the_demo_outside_the_checkout_runs_the_shipped_example_site(tmp_path: Path) -> None:
    """From an empty directory the demo loads the site shipped as package data; it then stops at the (taken)
    console port, before any history is written, which keeps the test cheap."""
    import os
    import socket

    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROCARBON_")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([exe, "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "Traceback" not in done.stderr
    example = ROOT / "zerocarbon" / "example_site" / "site.yaml"
    assert done.stdout.splitlines()[0] == (f"no config/site.yaml here: running the example site shipped with "
                                           f"zerocarbon ({example})")  # fmt: skip
    assert done.stderr.strip() == f"demo: port {port} on 127.0.0.1 is in use; pass --port"
    assert example.resolve() == (ROOT / "config" / "site.yaml").resolve()  # one site: the package links config/
