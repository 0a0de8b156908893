"""``zerocarbon report``: issue a carbon report for a month, quarter or year in JSON, CSV, XLSX or PDF.

    zerocarbon report --period 2026-10 --format pdf --out reports/2026-10.pdf
    zerocarbon report --period 2026-Q3 --format xlsx --out q3.xlsx
    zerocarbon report --period 2026 --format json --out 2026.json
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

import typer

from models.errors import ConfigError

FORMATS = ("json", "csv", "xlsx", "pdf")


def report(
    period: str = typer.Option(..., help="YYYY-MM (2026-10), YYYY-Qn (2026-Q3) or YYYY (2026)"),
    format: str = typer.Option("pdf", "--format", "-f", help="pdf | xlsx | csv | json"),
    out: Path = typer.Option(None, help="output file (default: report-<period>.<format>)"),
    factors: Path = typer.Option(None, help="emission factors (default: emission_factors.yaml beside the site)"),
    carbon_config: Path = typer.Option(None, "--carbon-config", help="default: carbon.yaml beside the site file"),
    issued_at: str = typer.Option(None, help="record an issue time ('now' or ISO 8601); omitted keeps JSON stable"),
    archive: bool = typer.Option(True, help="archive the issued report under <data_dir>/reports/"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress display"),
) -> None:
    """Issue a carbon report: Scope 1/2 both ways, the four strategies, factors with sources, data quality."""
    from carbon.period import parse_period
    from zerocarbon.settings import load_settings

    if format not in FORMATS:
        raise typer.BadParameter(f"{format!r}: choose one of {', '.join(FORMATS)}", param_hint="--format")
    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    settings = load_settings()
    out = out or Path(f"report-{parsed.label}.{format}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds") if issued_at == "now" else issued_at
    # what decides the content (not --format/--out): the same report in every format shares one archive entry
    words = ["--period", parsed.label]
    words += ["--factors", str(factors)] if factors else []
    words += ["--carbon-config", str(carbon_config)] if carbon_config else []
    command = "zerocarbon report " + shlex.join(words)
    try:
        _run(settings, parsed, format, out, factors, carbon_config, stamp, command, archive, quiet)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(exc.exit_code) from None  # 2: a bad input file


def _run(settings, period, fmt: str, out: Path, factors, carbon_config, stamp, command: str,  # type: ignore[no-untyped-def]
         keep: bool, quiet: bool) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from carbon import issue as wiring
    from zerocarbon.store_wiring import open_store

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), disable=quiet,
                  transient=True) as progress:
        task = progress.add_task("loading site, factors and carbon config", total=5)

        def step(text: str) -> None:
            progress.update(task, description=text, advance=1)

        files = wiring.load_report_files(settings.site, factors, carbon_config)
        try:
            store = open_store(settings, files.site)
        except Exception as exc:  # the store's own error (lock held, server down) with what to do
            typer.echo(f"cannot open the {settings.store} store ({exc}); DuckDB has one writing process: run "
                       "the report from that process (dashboard) or use the InfluxDB backend", err=True)
            raise typer.Exit(1) from None
        try:
            report = wiring.issue_report(store, files, period, command=command, issued_at=stamp, step=step)
            add_storage_saving(report, store, files, period)
        finally:
            store.close()
        step(f"rendering {fmt}")
        path = wiring.render(report, fmt, out)
        step("archiving")
        folder = wiring.archive(report, files, settings.data_dir, path) if keep else None
    s = report["summary"]
    typer.echo(f"{path}: {period.label} Scope 2 location-based {s['scope2_location_tco2e']:.1f} tCO2e, "
               f"market-based {s['scope2_market_tco2e']:.1f} tCO2e; measured share "
               f"{(s['measured_share'] or 0) * 100:.1f}%" + (f"; archived in {folder}" if folder else ""))
    for problem in report["data_quality"]["problems"]:
        typer.echo(f"warning: {problem}", err=True)


def add_storage_saving(report: dict, store, files, period) -> None:  # type: ignore[no-untyped-def,type-arg]
    """降碳需: what the storage saved in the period under the site's tariff, as metered (planning.realised)."""
    from planning.realised import storage_dispatch_section

    report["strategies"]["demand_reduction"]["storage_dispatch"] = storage_dispatch_section(
        store, files.site, period, files.factors, files.config.factors.location_region, _site_dir() / "tariffs.yaml")


def _site_dir():  # type: ignore[no-untyped-def]
    from pathlib import Path

    from zerocarbon.settings import load_settings

    return Path(load_settings().site).parent


def register(app: typer.Typer) -> None:
    app.command("report")(report)
