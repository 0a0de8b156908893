"""``zerocarbon simulate``: the simulated service centre, live on loopback, and history backfill.

    zerocarbon simulate                                  # every device live until Ctrl-C
    zerocarbon simulate --fault pv-inv-03=comm_loss      # start with a fault
    zerocarbon simulate --set-fault pv-inv-03=slow:delay_s=5   # change a running simulator (control port)
    zerocarbon simulate --clear-fault pv-inv-03
    zerocarbon simulate --backfill 90d                   # write 90 days of history into the store, then exit
    zerocarbon simulate --backfill 7d --live             # history, then live with the counters carried on
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from models.errors import ConfigError
from zerocarbon.signals import stop_on_signals

log = logging.getLogger("zerocarbon.simulate")


def _parse_duration(text: str) -> Any:
    import pandas as pd

    try:
        duration = pd.Timedelta(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a duration; use e.g. 90d, 12h, 2w") from None
    if duration <= pd.Timedelta(0):
        raise typer.BadParameter(f"{text!r}: the backfill duration must be positive")
    return duration


def _parse_start(text: str | None, timezone: str) -> datetime | None:
    if not text:
        return None
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--start-time {text!r} is not ISO 8601, e.g. 2026-07-15T12:00:00+08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _control(port: int, set_fault: list[str], clear_fault: list[str], list_faults: bool) -> None:
    """Talk to a running simulator's control port and print the faults now active."""
    from models.errors import FaultError
    from simulators.control import call
    from simulators.faults import parse_fault_spec

    try:
        for device in clear_fault:
            call(port, "DELETE", f"/faults/{device}")
        for spec in set_fault:
            device, kind, params = parse_fault_spec(spec)
            call(port, "PUT", f"/faults/{device}", {"kind": kind, "params": params})
        active = call(port, "GET", "/faults")
    except (RuntimeError, FaultError) as exc:
        typer.echo(f"simulate: {exc}", err=True)
        raise typer.Exit(1) from None
    for device, fault in sorted(active.items()):
        typer.echo(f"{device}: {fault}")
    if not active:
        typer.echo("no faults active")


def _backfill(settings: Any, site: Any, duration: Any, step: str, seed: int) -> dict[str, float]:
    """History for [now - duration, now) into the configured store, with a progress bar; returns end counters."""
    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from simulators.backfill import backfill
    from zerocarbon.store_wiring import open_store

    end = pd.Timestamp.now(tz=UTC).floor(step)
    start = end - duration
    per_step = _points_per_step(site)
    total = int(duration / pd.Timedelta(step)) * per_step
    try:
        store = open_store(settings, site)
    except Exception as exc:  # DuckDB: another process (collector, dashboard) holds the file's write lock
        typer.echo(f"simulate: cannot open the {settings.store} store ({exc}); DuckDB allows one writing process: "
                   "stop the collector/dashboard or use ZEROCARBON_STORE=influxdb", err=True)
        raise typer.Exit(1) from None
    columns = (TextColumn("[bold]backfill"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f} rows"),
               TimeElapsedColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns) as progress:
            task = progress.add_task("backfill", total=total)
            result = backfill(store, site, start.to_pydatetime(), end.to_pydatetime(), step, seed,
                              progress=lambda rows: progress.advance(task, rows))
        typer.echo(f"wrote {result.rows:,} readings ({result.days} days, {per_step} points every {step}) "
                   f"from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; building rollups...")
        try:
            store.update_rollups()  # exactly the ranges just written (pending), day by day
        except Exception as exc:  # the raw history is safe; the store's rollup job retries pending ranges
            typer.echo(f"simulate: rollups not built ({exc!r}); the raw history is written", err=True)
    finally:
        store.close()
    return result.counters


def _points_per_step(site: Any) -> int:
    import pandas as pd

    from simulators.backfill import history_chunks

    now = pd.Timestamp("2026-01-01", tz=UTC)
    first = next(history_chunks(site, now.to_pydatetime(), (now + pd.Timedelta("1min")).to_pydatetime()))
    return len(first)


def _run_live(sim: Any, faults: list[str], control_port: int) -> None:
    """Start the site, apply start-up faults, serve the control port, wait for Ctrl-C or SIGTERM."""
    from models.errors import FaultError
    from simulators.control import ControlServer
    from simulators.faults import parse_fault_spec

    stop = stop_on_signals()
    sim.start()
    control = None
    try:
        for spec in faults:
            device, kind, params = parse_fault_spec(spec)
            sim.fault(device, kind, **params)
        if control_port:
            control = ControlServer(sim, control_port).start()
        _announce(sim, control)
        while not stop.wait(0.5):
            pass
    except (FaultError, KeyError) as exc:
        typer.echo(f"simulate: {str(exc).strip(chr(34))}", err=True)
        raise typer.Exit(1) from None
    finally:
        if control is not None:
            control.stop()
        sim.stop()


def _announce(sim: Any, control: Any) -> None:
    modbus = len(sim.endpoints)
    mqtt = sum(1 for d in sim.site.devices if d.protocol == "mqtt")
    ports = sorted(e.port for e in sim.endpoints.values())
    broker = f"{sim.site.mqtt.host}:{sim.site.mqtt.port}" if sim.publisher else "off"
    bacnet = sorted(e.port for e in sim.bacnet.values())
    on_udp = f"{len(bacnet)} BACnet/IP devices on UDP 127.0.0.1:{bacnet[0]}-{bacnet[-1]}, " if bacnet else ""
    typer.echo(f"simulating {sim.site.info.name}: {modbus} Modbus devices on 127.0.0.1:{ports[0]}-{ports[-1]}, "
               f"{on_udp}{mqtt} MQTT gateways -> {broker}"
               + (f"; control port 127.0.0.1:{control.port}" if control else ""))
    if sim.state.plans is not None:
        typer.echo(f"  storage and EV charging follow the day's plan in {sim.state.plans}/ where there is one "
                   "(zerocarbon plan writes it; --rules-only ignores it)")
    for device, fault in sim.faults().items():
        typer.echo(f"  fault {device}: {fault}")
    typer.echo("Ctrl-C to stop")


def simulate(
    site: Path = typer.Option(None, help="site YAML (default: ZEROCARBON_SITE or config/site.yaml)"),
    seed: int = typer.Option(0, help="random seed: the same seed gives the same weather, loads and history"),
    fault: list[str] = typer.Option([], "--fault", help="start with a fault: DEVICE=KIND[:param=value,...]"),
    backfill: str = typer.Option(None, help="write this much history (e.g. 90d) into the store, then exit"),
    step: str = typer.Option("1min", help="backfill resolution"),
    live: bool = typer.Option(None, "--live/--no-live", help="run the live site (default: unless --backfill)"),
    start_time: str = typer.Option(None, help="simulated clock start, ISO 8601 (site time if no offset)"),
    speed: float = typer.Option(1.0, min=0.01, help="simulated seconds per wall-clock second"),
    publish_s: float = typer.Option(5.0, min=0.1, help="MQTT publish interval per gateway"),
    control_port: int = typer.Option(8765, help="loopback HTTP control port for faults (0: none)"),
    set_fault: list[str] = typer.Option([], "--set-fault", help="set a fault on a running simulator and exit"),
    clear_fault: list[str] = typer.Option([], "--clear-fault", help="clear a device's fault on a running simulator"),
    list_faults: bool = typer.Option(False, "--list-faults", help="list a running simulator's faults and exit"),
    follow_plans: bool = typer.Option(True, "--follow-plans/--rules-only",
                                      help="storage and EV charging follow <data_dir>/plans/<day>.json where a plan "
                                           "covers the instant (zerocarbon plan writes it); rules elsewhere"),
) -> None:
    """The simulated Zhuhai service centre: every device over real Modbus TCP, BACnet/IP and MQTT, faults on demand."""
    if set_fault or clear_fault or list_faults:
        return _control(control_port, set_fault, clear_fault, list_faults)
    from models.plan_file import PLANS_DIR
    from simulators.site import SimulatedSite, remap_ports
    from zerocarbon.health import serve_health
    from zerocarbon.settings import load_configured_site, load_settings

    try:
        settings = load_settings(site=site)
        the_site = load_configured_site(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pymodbus").setLevel(logging.WARNING)  # one "Server listening" per device port otherwise
    counters = _backfill(settings, the_site, _parse_duration(backfill), step, seed) if backfill else None
    if live is False or (live is None and backfill):
        return None
    if settings.mqtt_username:
        the_site = remap_ports(the_site, {}, mqtt_credentials=(settings.mqtt_username, settings.mqtt_password))
    sim = SimulatedSite(
        the_site, seed, mqtt_host=settings.mqtt_host, mqtt_port=settings.mqtt_port, publish_s=publish_s,
        start_time=_parse_start(start_time, the_site.info.timezone), speed=speed, counters=counters,
        plans=settings.data_dir / PLANS_DIR if follow_plans else None,
    )
    health = serve_health(settings, "simulator")
    try:
        _run_live(sim, fault, control_port)
    finally:
        if health is not None:
            health.stop()
    return None


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
