"""``zerocarbon energy POINT... --from --to [--by] [--json]``: interval energy in kWh from the store.

Counter points give measured energy (resets, rollovers and glitches handled); power points give estimates,
flagged. Each interval says its quality and how many resets and rejected glitches it had. The dashboard and
the carbon report call the same function, :func:`storage.energy.interval_energy`.
"""

from __future__ import annotations

import fnmatch
import json

import typer

BY = ("15min", "hour", "day", "month")


def _select(patterns: list[str], site):  # type: ignore[no-untyped-def]
    import difflib

    points = {p.id: p for p in site.points()}
    chosen = []
    for pattern in patterns:
        found = [pid for pid in points if fnmatch.fnmatchcase(pid, pattern)]
        if not found:
            close = difflib.get_close_matches(pattern, list(points), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise typer.BadParameter(f"no point matches {pattern!r}{hint}", param_hint="POINT")
        chosen += [points[pid] for pid in found if points[pid] not in chosen]
    return chosen


def energy(
    points: list[str] = typer.Argument(..., help="point ids or patterns, e.g. grid-meter-1.import_kwh 'pv-inv-*.WH'"),
    start: str = typer.Option(..., "--from", help="ISO date or date-time; no zone = the site's local time"),
    end: str = typer.Option(..., "--to", help="ISO date or date-time (exclusive)"),
    by: str = typer.Option("day", "--by", help="interval: 15min, hour, day or month (local calendar)"),
    as_json: bool = typer.Option(False, "--json", help="print records as JSON"),
) -> None:
    """Print interval energy (kWh) with each interval's quality, resets and rejected glitches."""
    from models.errors import ZeroCarbonError
    from storage.energy import interval_energy
    from zerocarbon.settings import load_configured_site, load_settings
    from zerocarbon.store_wiring import open_store, parse_from_to

    if by not in BY:
        raise typer.BadParameter(f"{by!r}; use one of {', '.join(BY)}", param_hint="--by")
    settings = load_settings()
    site = load_configured_site(settings)
    tz = site.info.timezone
    selected = _select(points, site)  # before parse_from_to's note, so a bad point is the only line
    t0, t1 = parse_from_to(start, end, tz)
    try:
        store = open_store(settings, site)
        try:
            table = interval_energy(store, selected, t0, t1, by, tz)
        finally:
            store.close()
    except (ZeroCarbonError, ValueError) as exc:
        typer.echo(f"energy: {exc}", err=True)
        raise typer.Exit(1) from None
    _print(table, tz, as_json)


def _print(table, tz: str, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    table = table.assign(start=table["start"].dt.tz_convert(tz).map(lambda t: t.isoformat()),
                         end=table["end"].dt.tz_convert(tz).map(lambda t: t.isoformat()))
    if as_json:
        typer.echo(json.dumps(table.to_dict(orient="records"), indent=1))
        return
    typer.echo(f"{'point':<36} {'start':<26} {'kWh':>12} {'quality':<9} resets glitches")
    for row in table.itertuples(index=False):
        typer.echo(f"{row.point_id:<36} {row.start:<26} {row.energy_kwh:>12.3f} {row.quality:<9} "
                   f"{row.resets:>6} {row.glitches:>8}")
    for pid, part in table.groupby("point_id", sort=True):
        flags = sorted(set(part["quality"]) - {"measured"})
        note = f" (includes {', '.join(flags)} intervals)" if flags else ""
        typer.echo(f"total {pid}: {part['energy_kwh'].sum():.3f} kWh{note}")


def register(app: typer.Typer) -> None:
    app.command("energy")(energy)
