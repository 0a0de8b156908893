"""``zerocarbon demo``: the whole platform against a simulated Zhuhai site, embedded store and broker.

Backfills history (30 days by default, only what is missing on a re-run; on the first start also the carbon
baseline year of carbon.yaml for the points a report reads), starts the simulated site on
loopback (Modbus TCP + MQTT through an embedded broker bound to 127.0.0.1), then the collectors, the alarm
engine, rollups and the console, prints the URL and the admin login, and stops everything on Ctrl-C.
The simulator's control port (8765, or a free one) takes faults from ``zerocarbon simulate --set-fault``.
"""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from models.errors import ConfigError, StoreError
from models.protocols import listening_port
from models.site import Site
from models.vocabulary import PointKind
from zerocarbon.signals import stop_on_signals

log = logging.getLogger("zerocarbon.demo")
ADMIN_FILE = "demo-admin-password.txt"


SOCKET_TYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


def _port_free(port: int, transport: str = "tcp") -> bool:
    with socket.socket(socket.AF_INET, SOCKET_TYPES[transport]) as s:
        if transport == "tcp":  # a TCP port in TIME_WAIT can be listened on again; a bound UDP port cannot
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port(transport: str = "tcp") -> int:
    with socket.socket(socket.AF_INET, SOCKET_TYPES[transport]) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_ports(site: Site) -> dict[str, int]:
    """The site file's device ports (every protocol the registry says listens on one: Modbus on TCP, BACnet/IP
    on UDP), except those already taken on this machine, which move to free ports."""
    moved = {}
    for d in site.devices:
        listens = listening_port(d.protocol, d.connection)
        if listens is not None and not _port_free(listens[1], listens[0]):
            moved[d.id] = _free_port(listens[0])
    return moved


def demo_admin_password(data_dir: Path) -> str | None:
    """The admin password to print: ZEROCARBON_ADMIN_PASSWORD, or one generated on the demo's first start
    (the admin is created here, stored as a hash only). None on later starts: it was shown once and is never
    written anywhere in clear (``zerocarbon users passwd admin`` sets a new one). A clear-text password file
    left by an older demo is deleted."""
    import os

    from dashboard.auth import ADMIN_PASSWORD_ENV, UserBook, ensure_admin

    (data_dir / ADMIN_FILE).unlink(missing_ok=True)
    generated = ensure_admin(UserBook(data_dir / "users.json"))
    return os.environ.get(ADMIN_PASSWORD_ENV) or generated


def login_line(admin_password: str | None) -> str:
    if admin_password:
        return f"login: admin / {admin_password}   (shown once, kept only as a hash)"
    return "login: admin (its password was shown at the first start; forgot it? zerocarbon users passwd admin)"


def missing_history(store: Any, site: Site, days: float, now: datetime) -> tuple[datetime, datetime] | None:
    """The range to backfill: from the newest stored reading (or ``days`` ago) to now; None if up to date.

    Any gap of a backfill step (a minute) or more is filled: the live site continues the stored counters, so
    an unfilled gap would lose the energy the building used while the demo was stopped."""
    latest = store.latest()
    start = now - timedelta(days=days)
    if not latest.empty:
        newest = latest["ts"].max().to_pydatetime()
        start = max(start, newest + timedelta(minutes=1))
    return (start, now) if now - start >= timedelta(minutes=1) else None


def counter_values(store: Any, site: Site) -> dict[str, float]:
    """The newest value of every energy counter, so the live site continues where history stopped."""
    latest = store.latest(_counter_ids(site))
    return {pid: float(v) for pid, v in zip(latest["point_id"], latest["value"], strict=True) if v == v}


def counter_times(store: Any, site: Site) -> dict[str, float]:
    """When each counter's newest value was read (epoch s): the live meters count on from there, so the energy
    of the minutes between the last stored reading and the start is not lost."""
    latest = store.latest(_counter_ids(site))
    return {pid: ts.timestamp() for pid, ts in zip(latest["point_id"], latest["ts"], strict=True)}


def _counter_ids(site: Site) -> list[str]:
    return [p.id for p in site.points() if p.kind is PointKind.ENERGY_COUNTER]


def _backfill(store: Any, site: Site, span: tuple[datetime, datetime], seed: int,
              stop: threading.Event | None = None, status: Any = None, carbon: Any = None) -> None:
    """Run the fill steps (zerocarbon.demo_fill) with a progress bar in the terminal; the console shows the same
    progress in its banner. Raises FillStopped on Ctrl-C."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from dashboard.fill_status import FillStatus
    from zerocarbon.demo_fill import FillContext, run_fill

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task: list[Any] = []

        def on_step(step: Any, size: int) -> None:
            task.append(progress.add_task(f"filling {step.name} ({step.unit})", total=size))

        ctx = FillContext(store, site, span, seed, stop or threading.Event(), status or FillStatus(),
                          on_advance=lambda n: progress.advance(task[-1], n), carbon=carbon)
        run_fill(ctx, on_step)
    typer.echo(f"history filled: {span[0]:%Y-%m-%d %H:%M} .. {span[1]:%Y-%m-%d %H:%M} UTC")


def demo(
    days: float = typer.Option(30.0, help="days of history to backfill on first start"),
    port: int = typer.Option(8050, help="console port on 127.0.0.1"),
    seed: int = typer.Option(0, help="simulation seed (same seed, same site)"),
    data_dir: Path = typer.Option(None, help="data directory (default: ZEROCARBON_DATA_DIR or ./data)"),
    baseline: bool = typer.Option(True, help="also fill the carbon baseline year of carbon.yaml (~1 min, once)"),
) -> None:
    """Run the whole platform against a simulated site, with the embedded store and broker."""
    from zerocarbon.settings import demo_settings, load_configured_site, load_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asked = load_settings(data_dir=data_dir, store="duckdb")
        settings = demo_settings(asked)
        if settings.site != asked.site:
            typer.echo(f"no {asked.site} here: running the example site shipped with zerocarbon ({settings.site})")
        site = load_configured_site(settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    _run_demo(settings, site, days, port, seed, baseline)


def _run_demo(settings: Any, site: Site, days: float, port: int, seed: int, baseline: bool = True) -> None:
    """Serve the console first, then fill the history behind it, then start the live site and services."""
    from carbon.files import CarbonFiles
    from dashboard.fill_status import FillStatus
    from zerocarbon.store_wiring import open_store

    if not _port_free(port):
        typer.echo(f"demo: port {port} on 127.0.0.1 is in use; pass --port", err=True)
        raise typer.Exit(1)
    admin_password = demo_admin_password(settings.data_dir)
    stop = stop_on_signals()  # from the start: Ctrl-C in the fill must stop cleanly too
    try:
        store = open_store(settings, site)
    except StoreError as exc:  # most often a demo already running on this data dir (DuckDB: one writer)
        typer.echo(f"demo: {exc}\nIs a demo already running? Stop it, or pass another --data-dir.", err=True)
        raise typer.Exit(1) from None
    status = FillStatus()
    carbon = CarbonFiles.in_dir(Path(settings.site).parent)  # the one reader of the carbon files, shared below
    console, journal = _serve_console_early(settings, site, store, port, status, admin_password, carbon)
    if not _history_ready(store, site, days, seed, stop, status, carbon if baseline else None):
        console.stop()
        journal.close()
        store.close()
        typer.echo("stopped before the demo started; the history written so far is kept and the next run "
                   "continues it")
        return
    _run_live(settings, site, store, port, seed, stop, console, carbon)
    journal.close()


def _serve_console_early(settings: Any, site: Site, store: Any, port: int, status: Any,
                         admin_password: str | None, carbon: Any = None) -> tuple[Any, Any]:
    """The console on its port before any history exists, showing the fill's progress (a newcomer's first view
    must not wait for 30 days of simulation). It reads its own handle on the alarm journal (SQLite: safe beside
    the alarm engine's, started later)."""
    from alerts.journal import AlarmJournal
    from dashboard.fill_status import attach
    from zerocarbon.alarm_wiring import journal_path
    from zerocarbon.platform import start_console

    journal = AlarmJournal(journal_path(settings))
    console = start_console(store, site, journal, settings, "127.0.0.1", port,
                            on_app=lambda app: attach(app.zerocarbon_console, status), carbon=carbon)
    typer.echo(f"console   http://127.0.0.1:{port}   {login_line(admin_password)}\n"
               "          (serving now; the history fills in behind it)")
    return console, journal


def _run_live(settings: Any, site: Site, store: Any, port: int, seed: int, stop: threading.Event,
              console: Any, carbon: Any = None) -> None:
    from models.plan_file import PLANS_DIR
    from simulators.control import DEFAULT_CONTROL_PORT, ControlServer
    from simulators.site import SimulatedSite
    from zerocarbon.embedded_broker import EmbeddedBroker
    from zerocarbon.platform import Platform

    broker_port = site.mqtt.port if _port_free(site.mqtt.port) else _free_port()
    broker = EmbeddedBroker(broker_port).start()
    sim = SimulatedSite(site, seed, demo_ports(site), "127.0.0.1", broker_port,
                        counters=counter_values(store, site), counters_at=counter_times(store, site),
                        plans=settings.data_dir / PLANS_DIR).start()  # follows the day's plan (zerocarbon plan)
    control = ControlServer(sim, DEFAULT_CONTROL_PORT if _port_free(DEFAULT_CONTROL_PORT) else 0).start()
    live = settings.model_copy(update={"mqtt_host": "127.0.0.1", "mqtt_port": broker_port})
    platform = Platform(live, sim.site, store, console_port=port, console=console, carbon=carbon).start()
    _announce(settings, site, port, len(sim.endpoints), broker_port, control.port)
    threading.Thread(target=_forecast_tomorrow, args=(live, sim.site, seed), name="demo-forecast",
                     daemon=True).start()  # the platform's weather feed keeps it; the Plan page then rests on it
    try:
        while not stop.wait(0.5):
            pass
    finally:
        typer.echo("stopping...")
        platform.stop()
        control.stop()
        sim.stop()
        broker.stop()
        typer.echo("stopped cleanly")


def _forecast_tomorrow(settings: Any, site: Site, seed: int) -> None:
    """Publish the simulated weather service's forecast of tomorrow (retained) on the demo's broker."""
    from zoneinfo import ZoneInfo

    from planning.config import load_planning_config
    from zerocarbon.weather_wiring import publish_simulated

    day = str((datetime.now(UTC).astimezone(ZoneInfo(site.info.timezone)) + timedelta(days=1)).date())
    try:
        topic = load_planning_config(Path(settings.site).parent / "planning.yaml").forecast.weather_topic
        publish_simulated(settings, site, topic, day, seed)
    except Exception as exc:  # a demo without a forecast plans on clear sky, and its Plan page says so
        logging.getLogger("zerocarbon.demo").warning("no simulated weather forecast for %s: %s", day, exc)


def _history_ready(store: Any, site: Site, days: float, seed: int, stop: threading.Event,
                   status: Any = None, carbon: Any = None) -> bool:
    """Fill what is missing; False when Ctrl-C came first."""
    from models.errors import FillStopped

    span = missing_history(store, site, days, datetime.now(UTC))
    try:
        if span:
            _backfill(store, site, span, seed, stop, status, carbon)
    except FillStopped:
        return False
    return not stop.is_set()


def _announce(settings: Any, site: Site, port: int, devices: int, broker_port: int, control_port: int) -> None:
    typer.echo(f"\nzerocarbon demo: {site.info.name} ({site.info.name_zh}) simulated on 127.0.0.1")
    typer.echo(f"  console   http://127.0.0.1:{port}   login: admin (password printed above)")
    typer.echo(f"  devices   {devices} Modbus TCP, MQTT broker 127.0.0.1:{broker_port}")
    # the simulator's fault switch, so a newcomer can watch an alarm raise, be acknowledged and clear
    typer.echo(f"  faults    zerocarbon simulate --set-fault pv-inv-03=inverter_fault --control-port {control_port}"
               f"   (--clear-fault pv-inv-03 to clear)")
    typer.echo(f"  data      {settings.data_dir.resolve()}   (Ctrl-C stops everything)")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
