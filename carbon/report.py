"""The report model: one dict holding everything an issued carbon report says, built from frames and config.

``build_report(inputs, factors, config, period)`` is deterministic: the same inputs give the same dict, and
:func:`carbon.canonical.dumps` turns it into byte-identical JSON (docs/report-schema.md). Renderers
(``carbon.render_*``) only lay this dict out; they never compute.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carbon import report_sections as sections
from carbon import report_strategies as strategies
from carbon.config import CarbonConfig
from carbon.coverage import below, combined, warning_text
from carbon.emissions import scope1_fuel_kg
from carbon.factors import Factor, FactorTable
from carbon.inputs import CarbonInputs
from carbon.ledger import MonthLedger, balance_of, ledgers, role_coverage, role_totals, window
from carbon.period import Period
from models.errors import EnergyBalanceError

SCHEMA = "zerocarbon/carbon-report@1"


def build_report(inputs: CarbonInputs, factors: FactorTable, config: CarbonConfig, period: Period, *,
                 command: str = "", issued_at: str | None = None) -> dict[str, Any]:
    """Build the report model for ``period``; ``issued_at`` is recorded only when the caller passes it."""
    tz = inputs.site.timezone
    t0, t1 = period.local_bounds(tz)
    energy = window(inputs.energy, t0, t1)
    months = ledgers(inputs.energy, t0, t1, factors, config)
    totals = role_totals(energy)
    try:
        balance, problem = balance_of(totals), None
    except EnergyBalanceError as exc:
        balance, problem = None, str(exc)
    location_kg = sum(m.location_kg for m in months)
    market_kg = sum(m.market_kg for m in months)
    scope1 = _scope1(config, factors, period)
    location_factor = location_kg / totals["grid_import"] if totals["grid_import"] > 0 else _mean_factor(months)
    covered = sum(m.covered_kwh for m in months)
    coverage = {role: c.to_dict() for role, c in role_coverage(energy).items()}
    overall = combined([m.coverage for m in months])
    covered_days = period.days * (overall.data_share or 0.0)
    subsystems = sections.subsystems(inputs, energy, location_kg, balance)
    chiller_kwh = next((r["energy_kwh"] for r in subsystems if r["id"] == "chiller_plant"), 0.0)
    emissions = {"location": location_kg + scope1["total_kgco2e"], "market": market_kg + scope1["total_kgco2e"]}
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "site": {"id": inputs.site.id, "name": inputs.site.name, "name_zh": inputs.site.name_zh, "timezone": tz},
        "period": {"label": period.label, "kind": period.kind, "start": period.start, "end": period.end,
                   "days": period.days},
        "building": {"area_m2": config.area.area_m2, "area_basis": config.area.basis,
                     "targets": dict(sorted(config.targets.items()))},
        "energy_kwh": totals,
        "scope1": scope1,
        "scope2": _scope2(location_kg, market_kg, covered, months, config, coverage.get("grid_import")),
        "gbt51366": sections.gbt51366(balance, totals, location_factor, config, scope1, period, covered_days),
        "strategies": {
            "demand_reduction": strategies.demand_reduction(inputs, config, t0, t1, balance.load_kwh if balance
                                                            else 0.0, location_factor),
            "efficiency": strategies.efficiency(inputs, config, t0, t1, balance, emissions, chiller_kwh,
                                                covered_days),
            "offset": strategies.offsets(balance, problem, covered, location_factor, _coverage_of_roles(
                energy, ("pv", "wind", "grid_export", "battery_charge", "battery_discharge"))),
        },
        "monthly": [_month_row(m, config) for m in months],
        "subsystems": subsystems,
        "sources": _sources(totals, location_kg, coverage),
        "instruments": _instruments(months, config, period),
        "factors": _factors_section(months, factors, scope1),
        "reproduce": {"command": command, "issued_at": issued_at, "factor_version": factors.version,
                      "factor_file_sha256": factors.sha256, "carbon_config_sha256": config.sha256,
                      "site_config_sha256": inputs.site.config_hash},
    }
    baseline = report["strategies"]["demand_reduction"]["baseline"]
    report["strategies"]["management"] = sections.management(
        inputs, config, period, factors, baseline, strategies.baseline_conditions(inputs, config))
    threshold = config.coverage.min_data_share
    warnings = _coverage_warnings(overall.to_dict(), report["strategies"]["management"]["coverage"], months,
                                  threshold)
    report["data_quality"] = sections.data_quality(energy, coverage, months, warnings, threshold)
    report["summary"] = _summary(report)
    return report


def _coverage_warnings(overall: dict[str, Any], ytd: dict[str, Any], months: list[MonthLedger],
                       threshold: float) -> list[str]:
    """One problems[] entry per figure resting on less than the threshold's share of its intervals."""
    checks = [("period energy and emissions", overall), ("year to date (碳管理 management)", ytd)]
    if len(months) > 1:
        checks += [(f"month {m.month}", m.coverage.to_dict()) for m in months]
    return [warning_text(name, cov, threshold) for name, cov in checks if below(cov, threshold)]


def _coverage_of_roles(energy: pd.DataFrame, roles: tuple[str, ...]) -> dict[str, Any]:
    return combined(list(role_coverage(energy[energy["role"].isin(roles)]).values())).to_dict()


def _mean_factor(months: list[MonthLedger]) -> float | None:
    values = [f.value for m in months for f in m.factors if f.kind == "electricity_location"]
    return sum(values) / len(values) if values else None


def _scope1(config: CarbonConfig, factors: FactorTable, period: Period) -> dict[str, Any]:
    rows = []
    for use in config.fuels:
        if not period.start <= use.date < period.end:
            continue
        f = factors.fuel(use.fuel, use.date)
        kg = scope1_fuel_kg(use.quantity, f.ncv_gj_per_unit or 0.0, f.value)
        rows.append({"id": use.id, "fuel": use.fuel, "date": use.date, "quantity": use.quantity,
                     "unit": f.fuel_unit, "ncv_gj_per_unit": f.ncv_gj_per_unit, "factor_id": f.id,
                     "factor_kgco2_per_tj": f.value, "emissions_kgco2e": kg, "note": use.note})
    return {"fuels": rows, "total_kgco2e": sum(r["emissions_kgco2e"] for r in rows)}


def _scope2(location_kg: float, market_kg: float, covered: float, months: list[MonthLedger],
            config: CarbonConfig, coverage: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "location_based_kgco2e": location_kg, "market_based_kgco2e": market_kg,
        "location_region": config.factors.location_region, "residual_region": config.factors.residual_region,
        "instrument_covered_kwh": covered, "instrument_surplus_kwh": sum(m.surplus_kwh for m in months),
        "null_power_rule": config.market_based.onsite_gecs_sold,
        "method_note": "GHG Protocol Scope 2 Guidance (2015): both methods reported side by side",
        "coverage": coverage,
    }


def _sources(totals: dict[str, float], location_kg: float, coverage: dict[str, Any]) -> list[dict[str, Any]]:
    supply = totals["grid_import"] + totals["pv"] + totals["wind"] + totals["battery_discharge"]
    names = {"grid_import": ("Grid import", "电网购电"), "pv": ("Rooftop PV", "屋顶光伏"), "wind": ("Wind", "风电"),
             "battery_discharge": ("Storage discharge", "储能放电"), "grid_export": ("Export to grid", "上网电量"),
             "battery_charge": ("Storage charge", "储能充电")}
    rows = []
    for role, (en, zh) in names.items():
        rows.append({"id": role, "name_en": en, "name_zh": zh, "energy_kwh": totals[role],
                     "share_of_supply": totals[role] / supply if supply > 0 and role not in
                     ("grid_export", "battery_charge") else None,
                     "emissions_location_kgco2e": location_kg if role == "grid_import" else 0.0,
                     "measured_share": (coverage.get(role) or {}).get("measured_share")})
    return rows


def _month_row(m: MonthLedger, config: CarbonConfig) -> dict[str, Any]:
    b = m.balance
    return {"month": m.month, **{f"{k}_kwh": v for k, v in m.totals.items()},
            "load_kwh": b.load_kwh if b else None, "self_consumed_kwh": b.self_consumed_kwh if b else None,
            "scope2_location_kgco2e": m.location_kg, "scope2_market_kgco2e": m.market_kg,
            "instrument_covered_kwh": m.covered_kwh, "problem": m.problem,
            "measured_share": m.coverage.share("measured"), "gap_share": m.coverage.share("gap"),
            "estimated_share": m.coverage.share("estimated"), "data_share": m.coverage.data_share}


def _instruments(months: list[MonthLedger], config: CarbonConfig, period: Period) -> dict[str, Any]:
    from carbon.instruments import ccer_retired_t

    applied: dict[str, float] = {}
    for m in months:
        for a in m.applied:
            applied[a.instrument.id] = applied.get(a.instrument.id, 0.0) + a.applied
    reasons = {a.instrument.id: a.reason for m in months for a in m.applied}
    electricity = [{**_instrument_row(e), "applied_kwh": applied.get(e.id, 0.0), "note": reasons.get(e.id, "")}
                   for e in config.instruments if e.kind != "ccer"]
    ccer = [{**_instrument_row(a.instrument), "retired_in_period_tco2e": a.applied, "note": a.reason}
            for a in ccer_retired_t(config.declared_instruments(), period.start, period.end)]
    return {"electricity": electricity, "ccer": ccer,
            "ccer_retired_tco2e": sum(r["retired_in_period_tco2e"] for r in ccer),
            "note": "offsets are reported separately and never subtracted from gross Scope 1/2"}


def _instrument_row(i: Any) -> dict[str, Any]:
    return {"kind": i.kind, "id": i.id, "serial_from": i.serial_from, "serial_to": i.serial_to,
            "quantity": i.quantity, "vintage_start": i.vintage_start, "vintage_end": i.vintage_end,
            "status": i.status, "claim_start": i.claim_start, "claim_end": i.claim_end, "retired_on": i.retired_on,
            "project": i.project}


def _factors_section(months: list[MonthLedger], factors: FactorTable, scope1: dict[str, Any]) -> dict[str, Any]:
    used: dict[str, Factor] = {f.id: f for m in months for f in m.factors}
    for row in scope1["fuels"]:
        used[row["factor_id"]] = next(f for f in factors.factors if f.id == row["factor_id"])
    return {"version": factors.version, "file_sha256": factors.sha256,
            "used": [used[k].model_dump(mode="json") for k in sorted(used)]}


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    s = r["strategies"]
    offset = s["offset"]
    return {
        "scope1_tco2e": r["scope1"]["total_kgco2e"] / 1000.0,
        "scope2_location_tco2e": r["scope2"]["location_based_kgco2e"] / 1000.0,
        "scope2_market_tco2e": r["scope2"]["market_based_kgco2e"] / 1000.0,
        "load_kwh": (offset.get("balance") or {}).get("load_kwh"),
        "generation_kwh": (offset.get("balance") or {}).get("generation_kwh"),
        "self_sufficiency_ratio": offset.get("self_sufficiency_ratio"),
        "eui_kwh_per_m2_a": s["efficiency"]["eui_kwh_per_m2_a"],
        "eui_period_kwh_per_m2": s["efficiency"]["eui_period_kwh_per_m2"],
        "avoided_tco2e": s["demand_reduction"]["avoided_tco2e"],
        "budget_share_ytd": s["management"]["ytd_share_of_budget"],
        "gbt51366_kgco2e_per_m2": r["gbt51366"].get("per_area_kgco2e_per_m2"),
        "gbt51366_annualised_kgco2e_per_m2_a": r["gbt51366"].get("annualised_per_area_kgco2e_per_m2_a"),
        "measured_share": r["data_quality"]["overall"]["measured_share"],
        "data_share": r["data_quality"]["overall"]["data_share"],
        "coverage_below_threshold": below(r["data_quality"]["overall"], r["data_quality"]["coverage_threshold"]),
    }
