"""``zerocarbon cost --period 2026-11 [--json]``: the electricity bill of a period under the site's tariff.

Energy by tariff period (valley, flat, peak, critical peak), the demand charge of each month, and the energy cost
shared among subsystems, with the tariff entries used and the data coverage. Formulas: ``planning.cost``.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def cost(
    period: str = typer.Option(..., help="YYYY-MM (2026-11), YYYY-Qn (2026-Q4) or YYYY (2026), local time"),
    tariffs: Path = typer.Option(None, help="tariff file (default: tariffs.yaml beside the site file)"),
    as_json: bool = typer.Option(False, "--json", help="print the cost as JSON"),
) -> None:
    """Print the energy cost by tariff period and subsystem, and the demand charge, with coverage.

    Errors (a broken tariff file, a date without a price, a locked store) reach the user through the error seam."""
    from carbon.period import parse_period
    from models.loader import load_site
    from planning.cost import cost_record, energy_cost
    from planning.tariffs import load_tariffs
    from storage.energy import energy_by_role
    from zerocarbon.settings import load_settings
    from zerocarbon.store_wiring import open_store

    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    settings = load_settings()
    site = load_site(settings.site)
    table = load_tariffs(tariffs or Path(settings.site).parent / "tariffs.yaml")
    t0, t1 = parsed.local_bounds(site.info.timezone)
    store = open_store(settings, site)
    try:
        energy = energy_by_role(store, site, t0.tz_convert("UTC"), t1.tz_convert("UTC"), "15min")
    finally:
        store.close()
    record = cost_record(energy_cost(energy, table, site.info.timezone), table, parsed.label)
    typer.echo(json.dumps(record, indent=1, ensure_ascii=False) if as_json else render_text(record))


def render_text(r: dict) -> str:  # type: ignore[type-arg]
    from planning.tariffs import placeholder_note

    cov = r["coverage"]
    lines = [f"{r['period']}: {r['total_yuan']:,.2f} yuan = energy {r['energy_yuan']:,.2f} + demand "
             f"{r['demand_yuan']:,.2f}   (tariff {r['tariff']['version']})"]
    if not cov["complete"]:
        share = (cov["gap"] or 0) * 100 if cov["intervals"] else 100.0
        lines.append(f"warning: incomplete data: {share:.1f} % of {cov['intervals']} quarter hours have gaps; "
                     "the figures cover only the data there is")
    lines.append(f"{'period':<14} {'import kWh':>14} {'yuan':>14}")
    lines += [f"{p['period']:<14} {p['import_kwh']:>14,.1f} {p['energy_yuan']:>14,.2f}" for p in r["by_period"]]
    lines.append(f"{'month':<8} {'peak kW':>10} {'at':<26} {'yuan/kW':>8} {'demand yuan':>12}")
    lines += [f"{m['month']:<8} {m['peak_kw']:>10,.1f} {m['peak_at'] or '-':<26} {m['demand_rate']:>8.2f} "
              f"{m['demand_yuan']:>12,.2f}" for m in r["by_month"]]
    lines.append(f"{'subsystem':<20} {'used kWh':>12} {'bought kWh':>12} {'yuan':>12}")
    lines += [f"{s['subsystem']:<20} {s['consumption_kwh']:>12,.1f} {s['purchased_kwh']:>12,.1f} "
              f"{s['energy_yuan']:>12,.2f}" for s in r["by_subsystem"]]
    if r.get("tariff_placeholders"):
        lines.append(f"warning: {placeholder_note(r['tariff_placeholders'])}")
    secondary = [e["id"] for e in r["tariff"]["entries"] if e["status"] == "secondary"]
    if secondary:
        lines.append(f"note: tariff entries from secondary sources: {', '.join(secondary)} (check config/tariffs.yaml)")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
