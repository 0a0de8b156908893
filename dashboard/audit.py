"""The console's audit log: who signed in, who failed, who was locked out, who did what a role protects.

One SQLite table in ``<data_dir>/console.sqlite`` (WAL, so ``zerocarbon users audit`` reads while the console
writes). Each row says who (the user name as typed, for failures too), when (UTC), from where (the client
address the console saw: set ``ZEROCARBON_PROXY_HOPS`` behind a reverse proxy), what and a detail. Admins read
it on the console's Audit page; the log is never shown to other roles.

Events: ``login``, ``login_failed``, ``login_locked`` (a refused attempt during a lockout), ``lockout``,
``logout``, ``password_changed``, ``csrf_refused``, ``forbidden`` (a role check said no) and the protected
actions themselves (``acknowledge``, ``shelve``, ``export``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DB_FILE = "console.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, event TEXT NOT NULL, user TEXT NOT NULL,
    address TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: float
    event: str
    user: str
    address: str
    detail: str


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the console database; WAL so a reader never blocks the console's writes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")  # an audit row may be lost in a power cut, never corrupted
    return con


class AuditLog:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_FILE
        self._con = connect(self.path)
        self._con.executescript(SCHEMA)
        self._lock = threading.Lock()

    def record(self, event: str, user: str, address: str, detail: str = "", ts: float | None = None) -> None:
        with self._lock:
            self._con.execute("INSERT INTO audit (ts, event, user, address, detail) VALUES (?, ?, ?, ?, ?)",
                              (time.time() if ts is None else ts, event, user[:200], address, detail[:500]))

    def entries(self, limit: int = 200, user: str | None = None, event: str | None = None,
                since: float | None = None) -> list[AuditEntry]:
        """Newest first."""
        where, args = [], []
        for column, value in (("user", user), ("event", event)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        sql = "SELECT id, ts, event, user, address, detail FROM audit"
        sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._con.execute(sql, [*args, int(limit)]).fetchall()
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        self._con.close()
