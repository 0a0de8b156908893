"""Both stores satisfy every store Protocol of storage/base.py, proved by mypy rather than by a test run.

``make lint`` runs mypy strict on storage/, which checks the returns below: a rollup method renamed, dropped or
retyped in one store fails the lint the day it is written, before a caller that names only the Protocol
(carbon/, the console, the scheduled job, the rebuild planner) meets the difference at run time.
Nothing here runs: the functions exist only for the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.base import RollupHost, RollupMaintainer, RollupReader, Store
    from storage.duckdb_store import DuckDBStore
    from storage.influx_store import InfluxStore

    def duckdb_store(s: DuckDBStore) -> tuple[Store, RollupReader, RollupMaintainer, RollupHost]:
        return s, s, s, s

    def influx_store(s: InfluxStore) -> tuple[Store, RollupReader, RollupMaintainer, RollupHost]:
        return s, s, s, s
