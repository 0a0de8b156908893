"""``zerocarbon check-config``: validate a site file and its templates; nothing starts with an invalid one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from models.errors import ConfigError
from models.loader import load_site
from models.protocols import label


def check_config(
    path: Path = typer.Argument(None, help="site YAML (default: ZEROCARBON_SITE or config/site.yaml)"),
    templates: Path = typer.Option(None, help="templates directory (default: templates/ beside the site file)"),
) -> None:
    """Validate a site file: one line per problem with file:line, key path, and what to do."""
    from zerocarbon.settings import load_settings

    try:
        site_path = path or load_settings().site
        site = load_site(site_path, templates)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        if len(exc.problems) > 1:  # one problem is its own one line
            typer.echo(f"{len(exc.problems)} problems; nothing was started", err=True)
        raise typer.Exit(exc.exit_code) from None
    protocols = Counter(d.protocol for d in site.devices)
    by_protocol = ", ".join(f"{n} {label(p)}" for p, n in sorted(protocols.items()))
    es = site.energy_systems
    typer.echo(
        f"{site_path}: OK - {site.info.name} ({site.info.name_zh}), {len(site.subsystems)} subsystems, "
        f"{len(site.devices)} devices ({by_protocol}), "
        f"{len(site.points())} points; PV {sum(p.capacity_kwp for p in es.pv):g} kWp, "
        f"wind {sum(w.rated_kw for w in es.wind):g} kW, storage {sum(s.capacity_kwh for s in es.storage):g} kWh"
    )


def register(app: typer.Typer) -> None:
    app.command("check-config")(check_config)
