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
    from models.errors import InputError
    from storage.exporter import FORMATS, export
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store, parse_from_to

    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if resolution not in ("raw", "15min", "hour", "day", "month"):
        raise InputError(f"--resolution {resolution!r}: use raw, 15min, hour, day or month")
    _check_out(out)
    settings = load_settings()
    site = load_configured_site(settings)
    tz = site.info.timezone
    units = {p.id: p.unit for p in site.points() if fnmatch.fnmatchcase(p.id, points)}
    if not units:
        raise InputError(f"--points {points!r}: no point of the site matches; e.g. 'grid-meter-*' or '*.import_kwh'")
    t0, t1 = parse_from_to(start, end, tz)
    store = open_store(settings, site)
    try:
        rows = export(store, sorted(units), units, t0, t1, resolution, fmt, out, tz)
    finally:
        store.close()
    if not rows:
        typer.echo(f"note: the store holds no readings of these {len(units)} point(s) from {start} to {end}", err=True)
    typer.echo(f"{out}: {rows} rows ({resolution}, {len(units)} points)")


def _check_out(out: Path) -> None:
    """Before the store is opened: the file can be written where it was asked for."""
    from models.errors import InputError

    if out.is_dir():
        raise InputError(f"--out {out} is a directory; give a file name, e.g. {out / 'readings.csv'}")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: no directory {out.parent}; create it first (mkdir -p {out.parent})")


def register(app: typer.Typer) -> None:
    app.command("export")(export)
