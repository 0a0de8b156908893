"""Console users, their roles, and the server-side guard every request and sensitive callback goes through.

Users live in ``<data_dir>/users.json`` with Argon2id password hashes (never the password). A fresh install
creates one ``admin`` whose password comes from ``ZEROCARBON_ADMIN_PASSWORD`` or is generated and printed once:
there is no default password. Roles are checked on the server (``before_request`` for pages and Dash's own
endpoints, :func:`authorize` inside each sensitive callback): a hidden button is not protection.

An unknown user name costs the same hash check as a wrong password (against a dummy hash), so the answer
time does not tell which names exist (issue 15 measured 3-5 ms against 158-209 ms before).

Hashes are Argon2id with 19 MiB, 2 passes, 1 lane (:data:`HASHER`): the OWASP Password Storage Cheat Sheet's
first choice at its minimum. One check costs 22 ms of a core here, where scrypt at OWASP's minimum (N=2^17,
r=8, p=1, or N=2^14 with p=5) costs 0.21-0.49 s and the N=2^14, p=1 used before (below that minimum) 40 ms:
twenty users sign in while others load pages, and fifty may press "sign in" in the same second (issue 15,
docs/benchmarks.md). argon2-cffi releases the interpreter lock while it hashes, so the two sign-in slots
(dashboard.server.Lanes) use both cores. A stored hash of another kind (werkzeug scrypt or pbkdf2 from
before) or with other parameters still verifies and is rewritten with these at its user's next good sign-in.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, request
from flask_login import UserMixin, current_user
from werkzeug.security import check_password_hash

from models.errors import UserError

ADMIN_PASSWORD_ENV = "ZEROCARBON_ADMIN_PASSWORD"
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16,
                        type=Type.ID)  # see the module docstring
ARGON2_PREFIX = "$argon2id$"
MIN_PASSWORD_LENGTH = 8


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"  # acknowledges and shelves alarms
    AUDITOR = "auditor"  # exports reports
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW = "view"
    ACKNOWLEDGE = "acknowledge"
    SHELVE = "shelve"
    EXPORT = "export"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.OPERATOR: frozenset({Permission.VIEW, Permission.ACKNOWLEDGE, Permission.SHELVE}),
    Role.AUDITOR: frozenset({Permission.VIEW, Permission.EXPORT}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True)
class User(UserMixin):
    name: str
    role: Role
    sid: str = ""  # the server-side session this user object was loaded for (dashboard.sessions)
    csrf: str = ""  # that session's CSRF token (dashboard.security)

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session id, never the name (a name cannot be revoked)."""
        return self.sid

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]



class UserBook:
    """The users file: ``{"users": {name: {"role": ..., "password_hash": ...}}}``, rewritten atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], dict[str, dict[str, str]]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        """The users, read again only when the file changed (every signed-in request looks its user up; the
        file is replaced as a whole, by this process or by ``zerocarbon users`` in another)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._cache
        if cached is None or cached[0] != key:
            cached = self._cache = (key, dict(json.loads(self.path.read_text(encoding="utf-8")).get("users", {})))
        return {name: dict(entry) for name, entry in cached[1].items()}  # callers may change their copy

    def _save(self, users: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"users": users}, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)
        self._cache = None  # a rewrite within the file system's timestamp step would keep the same key

    def names(self) -> list[str]:
        return sorted(self._load())

    def get(self, name: str) -> User | None:
        entry = self._load().get(name)
        return User(name, Role(entry["role"])) if entry else None

    def add(self, name: str, password: str, role: Role) -> User:
        _check_password(password)
        with self._lock:
            users = self._load()
            if name in users:
                raise UserError(f"user {name!r} already exists in {self.path}: use 'zerocarbon users passwd {name}'")
            users[name] = {"role": str(Role(role)), "password_hash": hash_password(password)}
            self._save(users)
        return User(name, Role(role))

    def set_password(self, name: str, password: str) -> int:
        """Set the password and end every open console session of ``name``; returns how many were ended."""
        from dashboard.sessions import SessionBook

        _check_password(password)
        with self._lock:
            users = self._load()
            if name not in users:
                raise UserError(f"no user {name!r} in {self.path}: add one with 'zerocarbon users add {name}'")
            users[name]["password_hash"] = hash_password(password)
            self._save(users)
        sessions = SessionBook(self.path.parent)
        try:
            return sessions.revoke_user(name)
        finally:
            sessions.close()

    def check(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same answer, and the same time, for unknown users
        and wrong passwords)."""
        entry = self._load().get(name)
        if entry is None:
            verify_password(_dummy_hash(), password)  # the time of a real check, answer discarded
            return None
        if not verify_password(entry["password_hash"], password):
            return None
        if needs_rehash(entry["password_hash"]):
            self._rehash(name, entry["password_hash"], password)
        return User(name, Role(entry["role"]))

    def _rehash(self, name: str, old: str, password: str) -> None:
        """Store the hash made with :data:`HASHER` (unless the password changed meanwhile)."""
        new = hash_password(password)
        with self._lock:
            users = self._load()
            if name in users and users[name]["password_hash"] == old:
                users[name]["password_hash"] = new
                self._save(users)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``: an Argon2id hash, or a werkzeug hash written before them."""
    if not stored.startswith("$argon2"):
        return check_password_hash(stored, password)
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """A hash of another kind, or Argon2id with other parameters than :data:`HASHER`'s."""
    return not stored.startswith(ARGON2_PREFIX) or HASHER.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    """A hash made like real ones (:data:`HASHER`), of a password nobody knows."""
    return hash_password(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")


def ensure_admin(book: UserBook, environ: dict[str, str] | None = None) -> str | None:
    """Create ``admin`` on a fresh install. Returns the generated password (to print once) or None."""
    if book.names():
        return None
    env = os.environ if environ is None else environ
    given = env.get(ADMIN_PASSWORD_ENV)
    password = given or secrets.token_urlsafe(12)
    book.add("admin", password, Role.ADMIN)
    return None if given else password


def allowed(permission: Permission) -> bool:
    """Whether the user of the current request may do this (drawing only: actions use :func:`authorize`)."""
    return bool(current_user.is_authenticated and current_user.can(permission))


def authorize(permission: Permission, action: str, target: str) -> bool:
    """Whether the current user may do ``action`` on ``target``; a refusal goes to the audit log as
    ``forbidden``. Call inside every sensitive callback, then :func:`audit` the action once it is done."""
    if allowed(permission):
        return True
    audit("forbidden", f"{action} {target}: role {getattr(current_user, 'role', 'anonymous')}")
    return False


def audit(event: str, detail: str = "", user: str | None = None) -> None:
    """Record ``event`` in the console's audit log with the current user and client address."""
    log = current_app.extensions.get("zerocarbon.audit") if has_request_context() else None
    if log is None:
        return  # outside a served console (a page function called by a test): nothing to record into
    who = user if user is not None else (current_user.name if current_user.is_authenticated else "")
    log.record(event, who, request.remote_addr or "", detail)


def secret_key(data_dir: Path) -> bytes:
    """The session signing key, created once per install so sessions survive restarts and workers agree."""
    path = data_dir / "console_secret.key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(32))
        os.chmod(path, 0o600)
    return path.read_bytes()
