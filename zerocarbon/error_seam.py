"""The one place the ``zerocarbon`` command turns an exception into what a user reads.

Every subcommand runs inside :class:`ErrorSeam`, so a command raises and never prints its own failure:

- an expected problem (:class:`models.errors.ZeroCarbonError`, a bad option, a file the OS refused) becomes one
  line on stderr, ``zerocarbon import: history.csv:3: unterminated quote; ...``, and exit status 2 for usage and
  input (``InputError``, ``ConfigError``, a bad option) or 1 at run time (store locked, server away);
- anything else becomes one line naming the error and the log file that holds its full trace, exit status 1;
  ``zerocarbon --debug CMD`` prints the trace too. Never a bare traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from typer._click import exceptions as click  # typer vendors click; its usage errors live here
from typer.core import TyperGroup

from models.errors import ConfigError, ZeroCarbonError

USAGE, RUNTIME = 2, 1
DEBUG_ENV = "ZEROCARBON_DEBUG"


def trace_log() -> Path:
    """Where unexpected errors leave their full trace: ``$ZEROCARBON_ERROR_LOG`` or a per-user file in /tmp."""
    named = os.environ.get("ZEROCARBON_ERROR_LOG")
    return Path(named) if named else Path(tempfile.gettempdir()) / f"zerocarbon-{os.getuid()}" / "errors.log"


def one_line(exc: BaseException) -> tuple[str, int]:
    """The line a user reads and the exit status, for an error the command expected."""
    if isinstance(exc, ConfigError):
        more = len(exc.problems) - 1
        tail = f" (and {more} more problem(s): run zerocarbon check-config)" if more > 0 else ""
        return (str(exc.problems[0]) if exc.problems else str(exc)) + tail, exc.exit_code
    if isinstance(exc, ZeroCarbonError):
        return _flat(str(exc)), exc.exit_code
    if isinstance(exc, click.UsageError):
        path = " ".join(["zerocarbon", *exc.ctx.command_path.split()[1:]]) if exc.ctx else "zerocarbon"
        hint = f"; see {path} --help"
        return _flat(exc.format_message()).rstrip(".") + hint, USAGE
    if isinstance(exc, click.ClickException):
        return _flat(exc.format_message()), exc.exit_code
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}", RUNTIME
    raise TypeError("not an expected error") from exc


def _flat(text: str) -> str:
    return " ".join(text.split())


def log_trace(exc: BaseException, argv: Sequence[str]) -> Path | None:
    """Append the full trace to :func:`trace_log`; None when even that failed (read-only /tmp)."""
    path = trace_log()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} zerocarbon {' '.join(argv)}\n")
            f.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None


def _command_of(args: Sequence[str]) -> str:
    words = [a for a in args if not a.startswith("-")]
    return f"zerocarbon {words[0]}" if words else "zerocarbon"


def report(exc: BaseException, args: Sequence[str], debug: bool) -> int:
    """Print the one line for ``exc`` (and the trace when ``debug``); return the exit status."""
    where = _command_of(args)
    try:
        line, code = one_line(exc)
    except TypeError:
        path = log_trace(exc, args)
        kept = f"full trace in {path}" if path else "the trace could not be logged"
        line = f"unexpected {type(exc).__name__}: {_flat(str(exc))[:300]} ({kept}; --debug prints it)"
        code = RUNTIME
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"{where}: {line}", err=True)
    return code


class ErrorSeam(TyperGroup):
    """The ``zerocarbon`` group: runs a subcommand and turns whatever it raises into one line and a status."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:  # fmt: skip
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv[: next((i for i, a in enumerate(argv) if not a.startswith("-")), len(argv))]
        debug = debug or os.environ.get(DEBUG_ENV) == "1"
        try:
            rv = super().main(args=argv, prog_name=prog_name or "zerocarbon", standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except typer.Exit as exc:
            code = exc.exit_code
        except click.NoArgsIsHelpError as exc:  # bare `zerocarbon`: the help is the answer
            exc.show()
            code = exc.exit_code
        except typer.Abort:
            typer.echo(f"{_command_of(argv)}: stopped", err=True)
            code = RUNTIME
        except KeyboardInterrupt:
            code = 130
        except BrokenPipeError:  # `zerocarbon export ... | head`: the reader left; nothing to say
            code = RUNTIME
        except Exception as exc:  # noqa: BLE001 - the seam: every error becomes one line
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                code = RUNTIME
            else:
                code = report(exc, argv, debug)
        if not standalone_mode:
            return code
        sys.exit(code)
