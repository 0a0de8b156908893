"""The ``zerocarbon`` command. Each subcommand lives in its own module under :mod:`zerocarbon.commands`.

A command module exposes ``register(app: typer.Typer) -> None``; this file only collects them, so adding a
command never touches another's code.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from zerocarbon import commands
from zerocarbon.error_seam import ErrorSeam

app = typer.Typer(
    name="zerocarbon",
    help="Energy and zero-carbon platform for a smart building: collect, store, account, alert, display.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=ErrorSeam,  # every failure: one line on stderr, exit 2 (usage, input) or 1 (run time), no traceback
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True),
    debug: bool = typer.Option(False, "--debug", help="print the full trace of an unexpected error"),
) -> None:
    """Energy and zero-carbon platform for a smart building."""
    if version:
        from zerocarbon import __version__

        typer.echo(__version__)
        raise typer.Exit()


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    app()
