"""Server-side console sessions, so signing out and changing a password really end them.

The signed session cookie carries only a random session id; this table says whether that id is still good.
Sign-out revokes the one session, a password change revokes every session of the user (also when the
password is changed by ``zerocarbon users passwd`` in another process: the table is on disk). A copy of the
cookie taken before either is then refused, which a cookie-only session cannot do (issue 15).

Every signed-in request looks its session up (:meth:`SessionBook.get`), so reads take no lock: each thread reads
through a connection of its own (SQLite in WAL mode lets readers run beside the writer). One connection behind
one lock made every request of every user wait for the others' lookups: under 50 users the server threads sat
there most of the time (issue 15, sampled stacks).

Each session also holds the CSRF token the browser sends back in ``X-CSRFToken`` (Dash's renderer reads the
``_csrf_token`` cookie and adds that header to every callback request).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dashboard.audit import DB_FILE, connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created REAL NOT NULL, address TEXT NOT NULL,
    revoked REAL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
"""
KEEP_REVOKED_S = 30 * 86400  # revoked rows are dropped after a month (the audit log keeps the story)


@dataclass(frozen=True)
class Session:
    sid: str
    user: str
    csrf: str
    created: float


class SessionBook:
    def __init__(self, data_dir: Path) -> None:
        self._path = Path(data_dir) / DB_FILE
        self._con = connect(self._path)
        self._con.executescript(SCHEMA)
        self._lock = threading.Lock()  # for writes on the shared connection
        self._readers = threading.local()
        self._opened: list[sqlite3.Connection] = []

    def _reader(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._readers, "con", None)
        if con is None:
            con = self._readers.con = connect(self._path)
            with self._lock:
                self._opened.append(con)
        return con

    def open(self, user: str, address: str) -> Session:
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), time.time())
        with self._lock:
            self._con.execute("DELETE FROM sessions WHERE revoked IS NOT NULL AND revoked < ?",
                              (time.time() - KEEP_REVOKED_S,))
            self._con.execute("INSERT INTO sessions (sid, user, csrf, created, address) VALUES (?, ?, ?, ?, ?)",
                              (session.sid, user, session.csrf, session.created, address))
        return session

    def get(self, sid: str) -> Session | None:
        """The session when it exists and is not revoked (read without the lock: see the module docstring)."""
        row = self._reader().execute("SELECT sid, user, csrf, created FROM sessions WHERE sid = ? AND revoked IS NULL",
                                     (sid,)).fetchone()
        return Session(*row) if row else None

    def revoke(self, sid: str) -> None:
        with self._lock:
            self._con.execute("UPDATE sessions SET revoked = ? WHERE sid = ? AND revoked IS NULL", (time.time(), sid))

    def revoke_user(self, user: str) -> int:
        """End every session of ``user`` (password change, removal); returns how many were open."""
        with self._lock:
            cursor = self._con.execute("UPDATE sessions SET revoked = ? WHERE user = ? AND revoked IS NULL",
                                       (time.time(), user))
        return cursor.rowcount

    def open_count(self, user: str) -> int:
        with self._lock:
            row = self._con.execute("SELECT count(*) FROM sessions WHERE user = ? AND revoked IS NULL",
                                    (user,)).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            for con in self._opened:
                con.close()
            self._opened.clear()
        self._con.close()
