"""``zerocarbon import FILE``: load historical readings (CSV or Excel: timestamp, point, value[, unit][, quality]).

Every bad row is reported with its line number and nothing is written unless the whole file is good.
"""

from __future__ import annotations

from pathlib import Path

import typer


def import_readings(
    path: Path = typer.Argument(..., help="CSV or XLSX with columns timestamp, point, value (unit, quality optional)"),
) -> None:
    """Import historical readings; idempotent (re-importing a file overwrites, never double counts)."""
    from models.errors import ZeroCarbonError
    from storage.importer import MAX_REPORTED, ImportFileError, import_readings
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store

    if not path.is_file():
        typer.echo(f"import: no such file {path}", err=True)
        raise typer.Exit(2)
    settings = load_settings()
    site = load_configured_site(settings)
    units = {p.id: p.unit for p in site.points()}
    try:
        store = open_store(settings, site)
        try:
            report = import_readings(path, store, units, site.info.timezone)
            store.update_rollups()
        finally:
            store.close()
    except (ImportFileError, ZeroCarbonError) as exc:
        typer.echo(f"import: {exc}", err=True)
        raise typer.Exit(1) from None
    if report.naive_timestamps:
        typer.echo(f"note: {report.naive_timestamps} timestamp(s) had no zone; read as {site.info.timezone}", err=True)
    if report.problem_count:
        for problem in report.problems:
            typer.echo(f"{path}:{problem.removeprefix('line ')}", err=True)
        more = report.problem_count - len(report.problems)
        if more > 0:
            typer.echo(f"... and {more} more (first {MAX_REPORTED} shown)", err=True)
        typer.echo(f"import: {report.problem_count} bad row(s) in {path}; nothing was written", err=True)
        raise typer.Exit(1)
    dup = f", {report.duplicates} duplicate row(s) overwrote earlier ones" if report.duplicates else ""
    typer.echo(f"{path}: {report.written} readings imported{dup}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_readings)
