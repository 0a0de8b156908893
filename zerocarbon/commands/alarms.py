"""``zerocarbon alarms``: list, acknowledge, shelve and unshelve alarms, show their history, run the engine.

Every command that changes an alarm records ``--user`` (default: the login name) in the journal. The journal
is a SQLite file in the data directory, safe to use while the engine runs in another process.
"""

from __future__ import annotations

import getpass
import signal
import threading
import time
from datetime import datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import typer

from alerts.journal import AlarmJournal
from alerts.lifecycle import Alarm
from models.errors import ConfigError, LifecycleError

alarms_app = typer.Typer(help="Alarms: list, acknowledge, shelve, history; run the alarm engine.", no_args_is_help=True)
USER = typer.Option(None, "--user", help="who does this (default: the login name); stored in the journal")


def _settings():  # type: ignore[no-untyped-def]
    from zerocarbon.settings import load_settings

    return load_settings()


def _journal() -> AlarmJournal:
    from zerocarbon.alarm_wiring import journal_path

    return AlarmJournal(journal_path(_settings()))


def _who(user: str | None) -> str:
    return user or getpass.getuser()


@lru_cache(maxsize=1)
def _site_zone() -> tzinfo | None:
    """The site's timezone, so the CLI prints the times the console shows (the server may run in UTC)."""
    from models.loader import load_site

    try:
        return ZoneInfo(load_site(_settings().site).info.timezone)
    except (ConfigError, OSError):  # no readable site file: the machine's zone, still with its offset shown
        return None


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).astimezone(_site_zone()).strftime("%Y-%m-%d %H:%M:%S%z")


def _line(a: Alarm, now: float) -> str:
    shelved = (
        f"  [shelved by {a.shelved_by} until {_when(a.shelved_until)}: {a.shelve_reason}]" if a.is_shelved(now) else ""
    )
    acked = f"  (ack {a.acked_by})" if a.acked_by else ""
    return f"{a.id:>6}  {a.priority:<8}  {a.state:<13}  {_when(a.raised_at)}  {a.message}{acked}{shelved}"


def _fail(exc: Exception) -> NoReturn:
    typer.echo(str(exc), err=True)
    raise typer.Exit(1)


@alarms_app.command("list")
def list_alarms(all_: bool = typer.Option(False, "--all", help="include shelved alarms")) -> None:
    """Open alarms (not yet normal), most urgent first."""
    now = time.time()
    alarms = _journal().active(include_shelved=all_, now=now)
    typer.echo(f"{'id':>6}  {'priority':<8}  {'state':<13}  {'raised (site time)':<24}  message")
    for a in alarms:
        typer.echo(_line(a, now))
    typer.echo(f"{len(alarms)} open alarm(s)")


@alarms_app.command("ack")
def ack(alarm_id: int, user: str = USER, note: str = typer.Option("", help="what you did or saw")) -> None:
    """Acknowledge an alarm (active → acknowledged; cleared → closed)."""
    try:
        alarm = _journal().acknowledge(alarm_id, _who(user), note)
    except LifecycleError as exc:
        _fail(exc)
    typer.echo(f"alarm {alarm.id} acknowledged by {alarm.acked_by}: now {alarm.state}")


@alarms_app.command("shelve")
def shelve(
    alarm_id: int,
    minutes: float = typer.Option(..., help="how long; shelving always ends"),
    reason: str = typer.Option(..., help="why, e.g. 'inverter 3 under maintenance'"),
    user: str = USER,
    rules: Path = typer.Option(None, help="alarms YAML, for max_shelve_minutes (default: beside the site file)"),
) -> None:
    """Hide and silence an alarm's source for a limited time, with a reason."""
    try:
        alarm = _journal().shelve(alarm_id, _who(user), reason, minutes, max_minutes=_max_shelve(rules))
    except LifecycleError as exc:
        _fail(exc)
    typer.echo(f"alarm {alarm.id} shelved by {alarm.shelved_by} until {_when(alarm.shelved_until)}")


@alarms_app.command("unshelve")
def unshelve(alarm_id: int, user: str = USER) -> None:
    """End shelving now; the alarm is annunciated again if its condition is still present."""
    try:
        alarm = _journal().unshelve(alarm_id, _who(user))
    except LifecycleError as exc:
        _fail(exc)
    typer.echo(f"alarm {alarm.id} unshelved: {alarm.state}")


@alarms_app.command("history")
def history(
    alarm_id: int = typer.Option(None, "--alarm", help="only this alarm"),
    limit: int = typer.Option(50, help="newest first, at most this many"),
) -> None:
    """Stored transitions: who did what to which alarm, and when."""
    for e in _journal().history(alarm_id, limit=limit):
        note = f"  {e.note}" if e.note else ""
        typer.echo(f"{_when(e.ts)}  alarm {e.alarm_id:>5}  {e.event:<14}  {e.state:<13}  {e.user}{note}")


@alarms_app.command("check")
def check(rules: Path = typer.Argument(None, help="alarms YAML (default: alarms.yaml beside the site file)")) -> None:
    """Validate the rules file against the site: one line per problem with file:line and key."""
    from alerts.rule_loader import load_rules
    from zerocarbon.alarm_wiring import rules_path
    from zerocarbon.settings import load_configured_site

    settings = _settings()
    path = rules_path(settings, rules)
    try:
        ruleset = load_rules(path, load_configured_site(settings))
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        if len(exc.problems) > 1:  # one problem is its own one line
            typer.echo(f"{len(exc.problems)} problems in {path}", err=True)
        raise typer.Exit(exc.exit_code) from None
    watched = sum(len(v) for v in ruleset.targets.values())
    typer.echo(
        f"{path}: OK - {len(ruleset.rules)} rules watching {watched} point(s), "
        f"{len(ruleset.file.notifications)} notification channel(s)"
    )


@alarms_app.command("run")
def run(
    rules: Path = typer.Option(None, help="alarms YAML (default: alarms.yaml beside the site file)"),
    poll_s: float = typer.Option(5.0, help="how often to read new readings from the store"),
) -> None:
    """Run the alarm engine on its own, reading new readings from the store (use the InfluxDB store)."""
    from zerocarbon.alarm_wiring import build_alarm_service, run_from_store
    from zerocarbon.health import serve_health
    from zerocarbon.health_wiring import watch_alarms
    from zerocarbon.store_wiring import open_store

    settings = _settings()
    try:
        service = build_alarm_service(settings, rules=rules)
    except ConfigError as exc:
        _fail(exc)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        store = open_store(settings)
    except Exception as exc:
        service.close()
        hint = (
            "; DuckDB admits one process: run alarms inside the collecting process (zerocarbon run) "
            "or use ZEROCARBON_STORE=influxdb"
            if settings.store == "duckdb"
            else ""
        )
        _fail(RuntimeError(f"alarms: cannot open the {settings.store} store: {exc}{hint}"))
    typer.echo(f"alarms: {len(service.engine.sources)} sources, journal {service.journal.path}")
    health = serve_health(settings, "alerts")
    watch_alarms(service)
    try:
        run_from_store(service, store, stop, poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        if health is not None:
            health.stop()
        service.close()
        store.close()


def _max_shelve(rules: Path | None) -> float:
    """max_shelve_minutes from the rules file; the default when the file cannot be read (the CLI still works)."""
    from alerts.rules import AlarmsFile
    from zerocarbon.alarm_wiring import rules_path

    try:
        import yaml

        data = yaml.safe_load(rules_path(_settings(), rules).read_text(encoding="utf-8")) or {}
        return AlarmsFile.model_validate({"max_shelve_minutes": data.get("max_shelve_minutes", 480)}).max_shelve_minutes
    except Exception:
        return AlarmsFile().max_shelve_minutes


def register(app: typer.Typer) -> None:
    app.add_typer(alarms_app, name="alarms")
