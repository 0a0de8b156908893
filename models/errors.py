"""Errors that reach a user. Each names the thing it is about and what to do.

::

    ZeroCarbonError             exit status 1: the request was right, the world was not (store locked, server away)
    ├── InputError              exit 2: a file or argument the user gave is wrong (history.csv:12, --from)
    ├── ConfigError             exit 2: a site, template or rule file is invalid (all problems at once)
    ├── DeviceError             a device did not give us a value
    │   ├── DeviceTimeout
    │   ├── DeviceExceptionResponse
    │   └── DecodeError
    └── StoreError              the store refused or failed a write or query
        └── StoreUnavailable    the store cannot be reached; the spool keeps the readings
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
