"""Errors that reach a user. Each names the thing it is about and what to do.

::

    ZeroCarbonError
    ├── ConfigError             a site, template or rule file is invalid (all problems at once)
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
    """Base of every error zerocarbon raises on purpose."""


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
