"""The alarm journal: every alarm and every transition, with who and when, in one SQLite file.

WAL mode and ``BEGIN IMMEDIATE`` transactions make it safe for the engine (one process) and operators
acknowledging from the CLI or console (other processes) at the same time: each transition reads the current
state and writes the next one in one transaction, so an acknowledgement never races a clear. One connection
per thread, since the engine writes from its journal worker and reads shelves from its tick thread.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alerts.lifecycle import ON_ACK, ON_CLEAR, ON_RAISE, Alarm, AlarmChange, AlarmEvent, AlarmState
from models.errors import AlarmNotFound, LifecycleError

SYSTEM = "system"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, rule_id TEXT NOT NULL, point_id TEXT NOT NULL,
    priority TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, value REAL,
    raised_at REAL NOT NULL, cleared_at REAL, acked_at REAL, acked_by TEXT, closed_at REAL);
CREATE UNIQUE INDEX IF NOT EXISTS one_open_alarm_per_source ON alarms(source) WHERE state != 'normal';
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, alarm_id INTEGER NOT NULL REFERENCES alarms(id), ts REAL NOT NULL,
    event TEXT NOT NULL, state TEXT NOT NULL, user TEXT NOT NULL, note TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS events_by_alarm ON events(alarm_id, ts);
CREATE TABLE IF NOT EXISTS shelves (
    source TEXT PRIMARY KEY, alarm_id INTEGER NOT NULL, since REAL NOT NULL, until REAL NOT NULL,
    user TEXT NOT NULL, reason TEXT NOT NULL);
"""
_SELECT = (
    "SELECT a.id, a.source, a.rule_id, a.point_id, a.priority, a.state, a.message, a.value, a.raised_at,"
    " a.cleared_at, a.acked_at, a.acked_by, a.closed_at, s.until, s.user, s.reason"
    " FROM alarms a LEFT JOIN shelves s ON s.source = a.source"
)


class AlarmJournal:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        if getattr(self._local, "batch", False):
            db.execute("SAVEPOINT step")  # inside batch(): each step still all-or-nothing
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK TO step")
                db.execute("RELEASE step")
                raise
            db.execute("RELEASE step")
            return
        db.execute("BEGIN IMMEDIATE")  # take the write lock first: read-then-write never races another process
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make the transitions inside one transaction (the engine's worker during an alarm flood)."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        self._local.batch = True
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")
        finally:
            self._local.batch = False

    # --- condition edges (from the engine) ---

    def condition_raised(
        self, source: str, rule_id: str, point_id: str, priority: str, message: str, value: float | None, ts: float
    ) -> AlarmChange | None:
        """The condition of ``source`` became true. A new alarm, the same alarm annunciated again (it had
        cleared but was not acknowledged), or None when it is already active (repeats never make new alarms)."""
        with self._transaction() as db:
            alarm = self._open(db, source)
            if alarm is not None and alarm.state not in ON_RAISE:
                return None
            if alarm is None:
                cur = db.execute(
                    "INSERT INTO alarms (source, rule_id, point_id, priority, state, message, value, raised_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (source, rule_id, point_id, priority, AlarmState.ACTIVE_UNACK, message, value, ts),
                )
                alarm_id, event = int(cur.lastrowid or 0), "raised"
            else:
                db.execute(
                    "UPDATE alarms SET state = ?, message = ?, value = ?, cleared_at = NULL WHERE id = ?",
                    (AlarmState.ACTIVE_UNACK, message, value, alarm.id),
                )
                alarm_id, event = alarm.id, "re-raised"
            self._log(db, alarm_id, ts, event, AlarmState.ACTIVE_UNACK, SYSTEM, message)
            fresh = self._get(db, alarm_id)
        return AlarmChange(fresh, "raised", fresh.is_shelved(ts))

    def condition_cleared(self, source: str, message: str, value: float | None, ts: float) -> AlarmChange | None:
        with self._transaction() as db:
            alarm = self._open(db, source)
            if alarm is None or alarm.state not in ON_CLEAR:
                return None
            state = ON_CLEAR[alarm.state]
            closed = ts if state is AlarmState.NORMAL else None
            db.execute(
                "UPDATE alarms SET state = ?, value = ?, cleared_at = ?, closed_at = ? WHERE id = ?",
                (state, value, ts, closed, alarm.id),
            )
            self._log(db, alarm.id, ts, "cleared", state, SYSTEM, message)
            fresh = self._get(db, alarm.id)
        return AlarmChange(fresh, "cleared", fresh.is_shelved(ts))

    # --- people (CLI, console) ---

    def acknowledge(self, alarm_id: int, user: str, note: str = "", *, now: float | None = None) -> Alarm:
        now = time.time() if now is None else now
        with self._transaction() as db:
            alarm = self._get(db, alarm_id)
            if alarm.state not in ON_ACK:
                who = f" by {alarm.acked_by}" if alarm.acked_by else ""
                raise LifecycleError(f"alarm {alarm_id} is {alarm.state} (acknowledged{who}); nothing to acknowledge")
            state = ON_ACK[alarm.state]
            closed = now if state is AlarmState.NORMAL else None
            db.execute(
                "UPDATE alarms SET state = ?, acked_at = ?, acked_by = ?, closed_at = ? WHERE id = ?",
                (state, now, user, closed, alarm_id),
            )
            self._log(db, alarm_id, now, "acknowledged", state, user, note)
            return self._get(db, alarm_id)

    def shelve(
        self,
        alarm_id: int,
        user: str,
        reason: str,
        minutes: float,
        *,
        now: float | None = None,
        max_minutes: float = 480.0,
    ) -> Alarm:
        """Hide and silence an alarm's source for ``minutes`` (at most ``max_minutes``), with a reason."""
        now = time.time() if now is None else now
        if not reason.strip():
            raise LifecycleError("shelving needs a reason (--reason), e.g. 'inverter 3 under maintenance'")
        if not 0 < minutes <= max_minutes:
            raise LifecycleError(f"shelve for 0 < minutes <= {max_minutes:g} (max_shelve_minutes), not {minutes:g}")
        with self._transaction() as db:
            alarm = self._get(db, alarm_id)
            if not alarm.state.is_open:
                raise LifecycleError(f"alarm {alarm_id} is closed; shelve an open alarm")
            until = now + minutes * 60.0
            db.execute(
                "INSERT OR REPLACE INTO shelves (source, alarm_id, since, until, user, reason) VALUES (?,?,?,?,?,?)",
                (alarm.source, alarm_id, now, until, user, reason),
            )
            self._log(db, alarm_id, now, "shelved", alarm.state, user, f"{minutes:g} min: {reason}")
            return self._get(db, alarm_id)

    def unshelve(self, alarm_id: int, user: str, *, now: float | None = None) -> Alarm:
        """End shelving now; the engine annunciates the alarm again if its condition is still active."""
        now = time.time() if now is None else now
        with self._transaction() as db:
            alarm = self._get(db, alarm_id)
            if not alarm.is_shelved(now):
                raise LifecycleError(f"alarm {alarm_id} is not shelved")
            db.execute("UPDATE shelves SET until = ? WHERE source = ?", (now, alarm.source))
            self._log(db, alarm_id, now, "unshelved", alarm.state, user, "")
            return self._get(db, alarm_id)

    def expire_shelves(self, now: float) -> list[Alarm]:
        """Remove ended shelves; return their alarms that are still active (to be annunciated again)."""
        with self._transaction() as db:
            ended = db.execute("SELECT source FROM shelves WHERE until <= ?", (now,)).fetchall()
            back: list[Alarm] = []
            for (source,) in ended:
                db.execute("DELETE FROM shelves WHERE source = ?", (source,))
                alarm = self._open(db, source)
                if alarm is not None:
                    self._log(db, alarm.id, now, "shelve_expired", alarm.state, SYSTEM, "")
                    if alarm.state.is_active:
                        back.append(alarm)
        return back

    # --- reading ---

    def get(self, alarm_id: int) -> Alarm:
        return self._get(self._connection(), alarm_id)

    def active(self, include_shelved: bool = True, now: float | None = None) -> list[Alarm]:
        """Open alarms (not normal), most urgent and newest first."""
        now = time.time() if now is None else now
        rows = self._connection().execute(f"{_SELECT} WHERE a.state != 'normal' ORDER BY a.raised_at DESC")
        alarms = [_alarm(r) for r in rows]
        order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
        alarms.sort(key=lambda a: order.get(a.priority, 9))
        return [a for a in alarms if include_shelved or not a.is_shelved(now)]

    def history(self, alarm_id: int | None = None, since: float | None = None, limit: int = 200) -> list[AlarmEvent]:
        """Stored transitions, newest first."""
        sql = "SELECT id, alarm_id, ts, event, state, user, note FROM events WHERE 1=1"
        args: list[object] = []
        if alarm_id is not None:
            sql, args = sql + " AND alarm_id = ?", [*args, alarm_id]
        if since is not None:
            sql, args = sql + " AND ts >= ?", [*args, since]
        rows = self._connection().execute(sql + " ORDER BY ts DESC, id DESC LIMIT ?", (*args, limit))
        return [AlarmEvent(r[0], r[1], r[2], r[3], AlarmState(r[4]), r[5], r[6]) for r in rows]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- helpers ---

    def _open(self, db: sqlite3.Connection, source: str) -> Alarm | None:
        row = db.execute(f"{_SELECT} WHERE a.source = ? AND a.state != 'normal'", (source,)).fetchone()
        return _alarm(row) if row else None

    def _get(self, db: sqlite3.Connection, alarm_id: int) -> Alarm:
        row = db.execute(f"{_SELECT} WHERE a.id = ?", (alarm_id,)).fetchone()
        if row is None:
            raise AlarmNotFound(f"no alarm {alarm_id} in {self.path}; see 'zerocarbon alarms list --all'")
        return _alarm(row)

    @staticmethod
    def _log(db: sqlite3.Connection, alarm_id: int, ts: float, event: str, state: str, user: str, note: str) -> None:
        db.execute(
            "INSERT INTO events (alarm_id, ts, event, state, user, note) VALUES (?, ?, ?, ?, ?, ?)",
            (alarm_id, ts, event, state, user, note),
        )


def _alarm(row: tuple) -> Alarm:  # type: ignore[type-arg]
    return Alarm(
        id=row[0],
        source=row[1],
        rule_id=row[2],
        point_id=row[3],
        priority=row[4],
        state=AlarmState(row[5]),
        message=row[6],
        value=row[7],
        raised_at=row[8],
        cleared_at=row[9],
        acked_at=row[10],
        acked_by=row[11],
        closed_at=row[12],
        shelved_until=row[13],
        shelved_by=row[14],
        shelve_reason=row[15],
    )
