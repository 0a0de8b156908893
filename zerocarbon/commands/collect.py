"""``zerocarbon collect``: poll the site's Modbus devices and subscribe to its MQTT gateways, into the store."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

from models.errors import ConfigError


def collect(
    shard: str = typer.Option(None, help="run shard i of n (e.g. 1/2): Modbus devices split by id, MQTT shared"),
    site: Path = typer.Option(None, help="site YAML (default: ZEROCARBON_SITE or config/site.yaml)"),
) -> None:
    """Collect readings until stopped (Ctrl-C or SIGTERM); every reading is spooled on disk before the store."""
    from zerocarbon.collect_wiring import parse_shard, run_collect
    from zerocarbon.settings import load_settings

    try:
        settings = load_settings(site=site)
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        asyncio.run(run_collect(settings, parse_shard(shard)))
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
