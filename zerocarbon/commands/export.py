"""``zerocarbon export --from --to [--points PATTERN] [--resolution] --format csv|xlsx|parquet --out PATH``."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import typer


def export(
    start: str = typer.Option(..., "--from", help="ISO date or date-time; no zone = the site's local time"),
    end: str = typer.Option(..., "--to", help="ISO date or date-time (exclusive)"),
    points: str = typer.Option("*", "--points", help="point id pattern, e.g. 'grid-meter-*' (default: all)"),
    resolution: str = typer.Option("raw", "--resolution", help="raw, 15min, hour, day or month"),
    fmt: str = typer.Option(..., "--format", help="csv, xlsx or parquet"),
    out: Path = typer.Option(..., "--out", help="file to write"),
) -> None:
    """Export readings or rollups with units and quality columns, streamed window by window."""
    from models.errors import ZeroCarbonError
    from storage.exporter import FORMATS, ExportError, export
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store, parse_from_to

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r}; use one of {', '.join(FORMATS)}", param_hint="--format")
    if resolution not in ("raw", "15min", "hour", "day", "month"):
        raise typer.BadParameter(f"{resolution!r}; use raw, 15min, hour, day or month", param_hint="--resolution")
    settings = load_settings()
    site = load_configured_site(settings)
    tz = site.info.timezone
    t0, t1 = parse_from_to(start, end, tz)
    units = {p.id: p.unit for p in site.points() if fnmatch.fnmatchcase(p.id, points)}
    if not units:
        raise typer.BadParameter(f"no point of the site matches {points!r}", param_hint="--points")
    try:
        store = open_store(settings, site)
        try:
            rows = export(store, sorted(units), units, t0, t1, resolution, fmt, out, tz)
        finally:
            store.close()
    except (ExportError, ZeroCarbonError) as exc:
        typer.echo(f"export: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{out}: {rows} rows ({resolution}, {len(units)} points)")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
