"""``zerocarbon run``: every service in one process against the real site (collectors, alarms, rollups, console).

This is how the embedded DuckDB store runs in production: one process owns it. With InfluxDB the services can
also run separately (``collect``, ``alarms run``, ``dashboard``).
"""

from __future__ import annotations

import logging

import typer

from models.errors import ConfigError
from zerocarbon.signals import stop_on_signals


def run(
    host: str = typer.Option("127.0.0.1", help="console address (0.0.0.0 to serve the network)"),
    port: int = typer.Option(8050, help="console port"),
) -> None:
    """Run collectors, alarm engine, rollups and the console in one process until Ctrl-C or SIGTERM."""
    from zerocarbon.platform import Platform
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        site = load_configured_site(settings)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    platform = Platform(settings, site, open_store(settings, site), console_host=host, console_port=port).start()
    stop = stop_on_signals()
    typer.echo(f"zerocarbon: {site.info.name}: {len(site.devices)} devices, console http://{host}:{port}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        platform.stop()


def register(app: typer.Typer) -> None:
    app.command("run")(run)
