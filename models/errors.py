"""Every exception zerocarbon defines, in one tree. Each names the thing it is about and what to do.

::

    ZeroCarbonError             exit status 1: the request was right, the world was not (store locked, server away)
    ├── InputError              exit 2: a file or argument the user gave is wrong (history.csv:12, --from)
    │   ├── ImportFileError     a history file cannot be read at all (storage/importer.py)
    │   ├── ExportError         an export cannot be written as asked (storage/exporter.py)
    │   ├── FaultError          a simulator fault that does not exist or does not fit the device
    │   └── PlanFileError       a day's plan file that cannot be followed (models/plan_file.py)
    ├── ConfigError             exit 2: a site, template or rule file is invalid (all problems at once)
    │   └── SourceProblem       one file cannot be read as YAML text at all (too large, binary, not UTF-8)
    ├── DeviceError             a device did not give us a value
    │   ├── DeviceTimeout
    │   ├── DeviceExceptionResponse
    │   └── DecodeError
    ├── PayloadRejected         an MQTT payload refused before decoding; it becomes a dead letter of its kind
    ├── StoreError              the store refused or failed a write or query
    │   └── StoreUnavailable    the store cannot be reached; the spool keeps the readings
    ├── EnergyBalanceError      meter totals that cannot all be true at once (carbon/offsets.py)
    ├── CarbonUnavailable       the carbon config or factors cannot answer a console tile (e.g. no factor today)
    ├── LifecycleError          an alarm transition the ISA-18.2 lifecycle does not allow (alerts/)
    │   └── AlarmNotFound
    ├── UserError               a console account request that cannot be done (unknown user, weak password)
    ├── SnapshotTimeout         a console request waited too long for another request's computation
    └── FillStopped             exit 130: Ctrl-C during the demo's history fill, acted on between two units

Exceptions that also derive from a built-in (``ValueError``, ``RuntimeError``) keep it so that code written
against the built-in still catches them. ``tests/test_error_tree.py`` fails when an exception class is defined
anywhere else, or outside this root.
"""

from __future__ import annotations

from dataclasses import dataclass


class ZeroCarbonError(Exception):
    """Base of every error zerocarbon raises on purpose. The ``zerocarbon`` command prints its message as one
    line on stderr and exits with ``exit_code`` (zerocarbon/error_seam.py): never a traceback."""

    exit_code = 1


class InputError(ZeroCarbonError):
    """A file or argument the user gave is wrong. The message names it (``file:line``, ``--option``) and the fix::

        history.csv:3: unterminated quote; close the quote or remove it
        --from 2026-05-01 is not before --to 2026-04-01; swap them
    """

    exit_code = 2


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(ZeroCarbonError):
    exit_code = 2

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SourceProblem(ConfigError):
    """One config file cannot be read as YAML text at all; its one problem says where and why."""

    def __init__(self, problem: ConfigProblem) -> None:
        super().__init__([problem])

    @property
    def problem(self) -> ConfigProblem:
        return self.problems[0]


class ImportFileError(InputError, ValueError):
    """The file cannot be read at all (empty, binary, broken quoting, missing columns, unknown format)."""


class ExportError(InputError, ValueError):
    """The request cannot be written as asked (too many rows for Excel, an unknown format)."""


class FaultError(InputError, ValueError):
    """A fault that does not exist or does not fit the device; the message says which kinds do."""


class TooLittleHistory(ZeroCarbonError, ValueError):
    """Too few days of measured history to forecast and plan a day. Carries its figures, so the console can say it
    in the page's language and the CLI in one line."""

    def __init__(self, message: str, days: float, needed: int) -> None:
        super().__init__(message)
        self.days = days
        self.needed = needed


class PlanFileError(InputError):
    """A day's plan file that cannot be followed: the message names the file, the key and the fix."""


class DeviceError(ZeroCarbonError):
    def __init__(self, message: str, *, device: str, address: int | None = None) -> None:
        self.device = device
        self.address = address
        super().__init__(f"{device}: {message}")


class DeviceTimeout(DeviceError):
    pass


class DeviceExceptionResponse(DeviceError):
    pass


class DecodeError(DeviceError):
    pass


class StoreError(ZeroCarbonError):
    pass


class StoreUnavailable(StoreError):
    pass


class PayloadRejected(ZeroCarbonError, ValueError):
    """An MQTT payload refused before decoding; ``kind`` is its dead-letter kind (docs/collectors.md)."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class EnergyBalanceError(ZeroCarbonError, ValueError):
    """Meter quantities that cannot all be true at once (e.g. more export than generation)."""


class CarbonUnavailable(ZeroCarbonError, RuntimeError):
    """The carbon config or factors cannot answer (e.g. no factor valid today): the console tile says why."""


class LifecycleError(ZeroCarbonError):
    """A person asked for a transition the lifecycle does not allow (ack a closed alarm, shelve without reason)."""


class AlarmNotFound(LifecycleError):
    pass


class UserError(ZeroCarbonError, ValueError):
    """A user command that cannot be done (unknown user, weak password, bad role)."""


class SnapshotTimeout(ZeroCarbonError, RuntimeError):
    """A console caller waited ``wait_s`` for another request's first computation of a key."""


class FillStopped(ZeroCarbonError):
    """Ctrl-C during the demo's history fill, acted on between two units of work (the fill stays whole)."""

    exit_code = 130  # as the error seam exits on KeyboardInterrupt: the shell's 128 + SIGINT
