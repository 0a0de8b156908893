"""``zerocarbon import FILE``: load historical readings (CSV or Excel: timestamp, point, value[, unit][, quality]).

Every bad row is reported with its line number and nothing is written unless the whole file is good. A file
that cannot be read at all (empty, binary, broken quoting, not a workbook) is one line and exit status 2, by
the command's error seam (zerocarbon/error_seam.py).
"""

from __future__ import annotations

from pathlib import Path

import typer


def import_readings(
    path: Path = typer.Argument(..., help="CSV or XLSX with columns timestamp, point, value (unit, quality optional)"),
) -> None:
    """Import historical readings; idempotent (re-importing a file overwrites, never double counts)."""
    from models.errors import InputError
    from storage.importer import MAX_REPORTED, import_readings
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store

    if not path.is_file():
        raise InputError(f"{path}: no such file; give the path of a .csv or .xlsx file")
    settings = load_settings()
    site = load_configured_site(settings)
    units = {p.id: p.unit for p in site.points()}
    store = open_store(settings, site)
    try:
        report = import_readings(path, store, units, site.info.timezone)
        if report.written:
            store.update_rollups()
    finally:
        store.close()
    if report.problem_count == 1:
        raise InputError(f"{path}:{report.problems[0].removeprefix('line ')}; nothing was written")
    if report.problem_count:
        for problem in report.problems:
            typer.echo(f"{path}:{problem.removeprefix('line ')}", err=True)
        more = report.problem_count - len(report.problems)
        if more > 0:
            typer.echo(f"... and {more} more (first {MAX_REPORTED} shown)", err=True)
        raise InputError(f"{report.problem_count} bad rows in {path}; nothing was written")
    if report.naive_timestamps:
        typer.echo(f"note: {report.naive_timestamps} timestamp(s) had no zone; read as {site.info.timezone}", err=True)
    dup = f", {report.duplicates} duplicate row(s) overwrote earlier ones" if report.duplicates else ""
    typer.echo(f"{path}: {report.written} readings imported{dup}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_readings)
