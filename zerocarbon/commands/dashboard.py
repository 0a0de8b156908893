"""``zerocarbon dashboard``: serve the console; ``zerocarbon users``: console accounts.

One process (the default, and the only choice with the embedded DuckDB store, which one process may open)
serves the console with waitress in this process, exactly as ``zerocarbon demo`` and ``run`` do
(``dashboard.server.ConsoleServer``). Measured under 1, 20 and 50 users (docs/benchmarks.md, issue 15),
gunicorn with one gthread worker was slower at 20 and 50 users, and so were its sign-ins and the 50 users'
sign-in burst; at its default 2 s keep-alive it dropped 8-11 of about 400 Overview loads at 50 users
(connections closed as clients reused them; none with :data:`KEEPALIVE_S`); waitress dropped none. With
InfluxDB, ``--workers N`` runs N gunicorn worker processes, each building the app after the fork.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import typer

from dashboard.auth import Role, UserBook, ensure_admin
from dashboard.server import DEFAULT_HOST, DEFAULT_PORT, THREADS
from models.errors import UserError

users_app = typer.Typer(help="Console accounts (stored hashed in <data_dir>/users.json).", no_args_is_help=True)
REQUEST_TIMEOUT_S = 180  # a year's PDF report can take a while; the live tick never comes near this
# gunicorn closes a connection idle this long; at its default 2 s every browser's 5 s tick found it closing
KEEPALIVE_S = 75


def _book() -> UserBook:
    from zerocarbon.settings import load_settings

    return UserBook(load_settings().data_dir / "users.json")


class OpenConsole(NamedTuple):
    app: Any
    store: Any
    journal: Any
    site: Any
    settings: Any


def _open_console() -> OpenConsole:
    """Open the site, store and journal, and build the console."""
    from alerts.journal import AlarmJournal
    from dashboard.app import create_app
    from models.loader import load_site
    from zerocarbon.alarm_wiring import journal_path
    from zerocarbon.settings import load_settings
    from zerocarbon.store_wiring import open_store

    settings = load_settings()
    site = load_site(settings.site)
    store = open_store(settings, site)
    journal = AlarmJournal(journal_path(settings))
    return OpenConsole(create_app(store, site, journal, settings, config_dir=settings.site.parent), store, journal,
                       site, settings)


def _serve_in_process(host: str, port: int) -> None:
    """waitress in this process until SIGINT or SIGTERM (docker stop), then close the server, journal, store.
    The Plan page's own work runs here too, as in ``zerocarbon run``: the compose stack runs no ``run``, and
    without it the day's first Plan view fitted the load models itself and no weather forecast was kept."""
    from dashboard.server import ConsoleServer
    from zerocarbon.signals import stop_on_signals

    stop = stop_on_signals()
    console = _open_console()
    plan = _start_plan_services(console)
    try:
        server = ConsoleServer(console.app, host, port).start()
        stop.wait()
        server.stop()
    finally:
        for service in plan:
            service.stop()
        console.journal.close()
        console.store.close()


def _start_plan_services(console: OpenConsole) -> list[Any]:
    """Tomorrow's load models fitted ahead and the weather-forecast feed (:mod:`zerocarbon.plan_service`). The
    fit takes the ``plan`` lease, not ``scheduler``: that one tells the collector shards which runs rollups."""
    from zerocarbon.plan_service import FitAhead, start_weather_feed
    from zerocarbon.scheduler_lock import open_scheduler_lock

    lock = open_scheduler_lock(console.settings, name="plan")
    fits = FitAhead(console.store, console.site, console.settings, lock).start()
    feed = start_weather_feed(console.settings, console.site)
    return [fits] if feed is None else [fits, feed]


def _gunicorn(bind: str, workers: int) -> Any:
    from gunicorn.app.base import BaseApplication

    class ConsoleApplication(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", THREADS)  # more than the app's page slots: sign-in finds a free thread
            self.cfg.set("timeout", REQUEST_TIMEOUT_S)
            self.cfg.set("keepalive", KEEPALIVE_S)
            self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            return _open_console().app.server  # in the worker, after the fork

    return ConsoleApplication()


def dashboard(
    host: str = typer.Option(DEFAULT_HOST, help="address to listen on (127.0.0.1: this machine only)"),
    port: int = typer.Option(DEFAULT_PORT, help="TCP port"),
    workers: int = typer.Option(1, min=1, help="1: one process (waitress); more: gunicorn worker processes "
                                               "(needs the InfluxDB store)"),
) -> None:
    """Serve the building management console at http://HOST:PORT."""
    from zerocarbon.settings import load_settings

    settings = load_settings()
    if workers > 1 and settings.store == "duckdb":
        typer.echo("the DuckDB store can be opened by one process only: use --workers 1 or "
                   "ZEROCARBON_STORE=influxdb", err=True)
        raise typer.Exit(2)
    generated = ensure_admin(UserBook(settings.data_dir / "users.json"))
    if generated:
        typer.echo(f"created console user 'admin' with password: {generated}\n"
                   "(shown once; change it with 'zerocarbon users passwd admin')")
    typer.echo(f"console on http://{host}:{port}")
    health = _serve_health(settings, port)
    try:
        if workers == 1:
            _serve_in_process(host, port)
        else:
            _gunicorn(f"{host}:{port}", workers).run()
    finally:
        if health is not None:
            health.stop()


def _serve_health(settings: Any, port: int) -> Any:
    """/health and /metrics on their own port; the ``console`` check asks the console for its login page."""
    import httpx

    from zerocarbon.health import checks, serve_health

    def console_answers() -> tuple[bool, str]:
        try:
            code = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code
        except httpx.HTTPError as exc:
            return False, f"console not answering on port {port}: {type(exc).__name__}"
        return code == 200, f"login page HTTP {code}"

    health = serve_health(settings, "dashboard")
    if health is not None:
        checks.add("console", console_answers)
    return health


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="user name"),
    role: Role = typer.Option(Role.VIEWER, help="viewer | operator (acknowledge, shelve) | auditor (export) | admin"),
    password: str = typer.Option(..., prompt=True, confirmation_prompt=True, hide_input=True),
) -> None:
    """Add a console user."""
    try:
        _book().add(name, password, role)
    except UserError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"added {name} ({role})")


@users_app.command("passwd")
def users_passwd(
    name: str = typer.Argument(..., help="user name"),
    password: str = typer.Option(..., prompt=True, confirmation_prompt=True, hide_input=True),
) -> None:
    """Set a console user's password."""
    from dashboard.audit import AuditLog

    book = _book()
    try:
        ended = book.set_password(name, password)
    except UserError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    log = AuditLog(book.path.parent)
    log.record("password_changed", name, "cli", f"{ended} open console session(s) ended")
    log.close()
    typer.echo(f"password of {name} changed; {ended} open console session(s) ended")


@users_app.command("list")
def users_list() -> None:
    """List console users and their roles."""
    book = _book()
    for name in book.names():
        user = book.get(name)
        typer.echo(f"{name}\t{user.role if user else '?'}")


@users_app.command("audit")
def users_audit(
    limit: int = typer.Option(50, min=1, help="newest entries to show"),
    user: str = typer.Option(None, help="only this user name (as typed at sign-in)"),
    event: str = typer.Option(None, help="only this event: login, login_failed, lockout, login_locked, logout, "
                                         "password_changed, csrf_refused, forbidden, acknowledge, shelve, export"),
) -> None:
    """The console's audit log, newest first: time (UTC), event, user, client address, detail."""
    from datetime import UTC, datetime

    from dashboard.audit import DB_FILE, AuditLog

    book = _book()
    if not (book.path.parent / DB_FILE).is_file():
        typer.echo(f"no audit log yet in {book.path.parent / DB_FILE}: the console writes it from its first sign-in")
        return
    log = AuditLog(book.path.parent)
    for e in log.entries(limit=limit, user=user, event=event):
        when = datetime.fromtimestamp(e.ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        typer.echo(f"{when}\t{e.event}\t{e.user or '-'}\t{e.address or '-'}\t{e.detail}")
    log.close()


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
    app.add_typer(users_app, name="users")
