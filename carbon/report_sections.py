"""Report sections that reconcile with the inventory: GB/T 51366 over every energy type with its breakdown,
Scope 2 attribution by subsystem that adds up to the Scope 2 total, the year figures of 碳管理, and the data
quality section with every flagged interval and the coverage warnings."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

import pandas as pd

from carbon import year as yr
from carbon.config import CarbonConfig
from carbon.coverage import below, combined
from carbon.emissions import operational_carbon_gbt51366, scope1_fuel_kg
from carbon.factors import FactorTable
from carbon.inputs import CarbonInputs
from carbon.ledger import MonthLedger, ledgers, window
from carbon.management import attribution, completeness_by_month, flagged_runs
from carbon.offsets import EnergyBalance
from carbon.period import Period


def gbt51366(balance: EnergyBalance | None, totals: dict[str, float], factor: float | None, config: CarbonConfig,
             scope1: dict[str, Any], period: Period, covered_days: float) -> dict[str, Any]:
    """GB/T 51366 C_M for the period and annualised, with one breakdown row per energy type and the sink."""
    if balance is None or factor is None:
        return {"status": "not computed: invalid energy balance or no factor", "breakdown": []}
    opts = config.gbt51366
    consumption = balance.load_kwh - (totals["ev_charging"] if opts.exclude_ev_charging else 0.0)
    renewable = balance.self_consumed_kwh if opts.renewable_subtraction == "self_consumed" else balance.generation_kwh
    year_days = 366.0 if calendar.isleap(period.start.year) else 365.0
    result = operational_carbon_gbt51366(consumption, renewable, factor, scope1["total_kgco2e"], config.area.area_m2,
                                         opts.green_sink_kgco2_per_a, period.days, covered_days, year_days)
    return {**result, "status": "valid", "renewable_subtraction": opts.renewable_subtraction,
            "ev_charging_kwh": totals["ev_charging"], "ev_charging_excluded": opts.exclude_ev_charging,
            "factor_kgco2e_per_kwh": factor, "area_m2": config.area.area_m2, "area_basis": config.area.basis,
            "year_days": year_days, "annualisation": _annualisation_note(period.days, covered_days, year_days),
            "breakdown": _breakdown(result, factor, scope1)}


def _annualisation_note(days: float, covered: float, year_days: float) -> str:
    return (f"annualised: electricity × {year_days:g} / {covered:.2f} days with data, fuels × {year_days:g} / "
            f"{days:g} days, minus the annual green-space sink")


def _breakdown(r: dict[str, Any], factor: float, scope1: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"item": "electricity", "name_zh": "电力(扣除可再生能源)", "name_en": "Electricity net of renewables used",
             "quantity": r["net_electricity_kwh"], "unit": "kWh", "factor": factor, "factor_unit": "kgCO2e/kWh",
             "emissions_kgco2e": r["electricity_kgco2e"]}]
    for fuel in scope1["fuels"]:
        rows.append({"item": fuel["id"], "name_zh": f"燃料 {fuel['fuel']}", "name_en": f"Fuel: {fuel['fuel']}",
                     "quantity": fuel["quantity"], "unit": fuel["unit"],
                     "factor": fuel["emissions_kgco2e"] / fuel["quantity"] if fuel["quantity"] else None,
                     "factor_unit": f"kgCO2e/{fuel['unit']}", "emissions_kgco2e": fuel["emissions_kgco2e"]})
    rows.append({"item": "green_sink", "name_zh": "绿地碳汇(按期分摊)", "name_en": "Green-space sink, pro rata",
                 "quantity": r["period_days"], "unit": "d", "factor": r["green_sink_kg_per_a"],
                 "factor_unit": "kgCO2/a", "emissions_kgco2e": -r["green_sink_kg"]})
    rows.append({"item": "total", "name_zh": "合计(本期)", "name_en": "Total, period", "quantity": None, "unit": "",
                 "factor": None, "factor_unit": "", "emissions_kgco2e": r["total_kgco2e"]})
    return rows


def subsystems(inputs: CarbonInputs, energy: pd.DataFrame, location_kg: float,
               balance: EnergyBalance | None) -> list[dict[str, Any]]:
    """Scope 2 location-based by subsystem, adding up to the Scope 2 total (rule: :func:`attribution`)."""
    loads = energy[energy["role"].isin(["consumption", "ev_charging"])]
    kwh = loads.groupby("subsystem")["energy_kwh"].sum()
    table = attribution(kwh, location_kg, balance.load_kwh if balance else None)
    rows = []
    for sid, row in table.iterrows():
        en, zh = inputs.site.subsystems.get(str(sid), (str(sid), str(sid)))
        if sid == "unmetered":
            en, zh = "Not sub-metered (remainder of the building load)", "未分项计量(建筑用电余量)"
        cov = loads[loads["subsystem"] == sid]["quality"]
        rows.append({"id": str(sid), "name_en": en, "name_zh": zh, "energy_kwh": row["energy_kwh"],
                     "emissions_location_kgco2e": row["emissions_kgco2e"], "share": row["share"],
                     "measured_share": float((cov == "measured").mean()) if len(cov) else None})
    return rows


def management(inputs: CarbonInputs, config: CarbonConfig, period: Period, factors: FactorTable,
               baseline: dict[str, Any] | None, baseline_conditions: pd.DataFrame | None) -> dict[str, Any]:
    """碳管理: YTD of Scope 1 + Scope 2 location-based, budget to date, forecast (:mod:`carbon.year`)."""
    tz = inputs.site.timezone
    year = period.start.year
    year_start, prev_start = (pd.Timestamp(date(y, 1, 1)).tz_localize(tz) for y in (year, year - 1))
    _, t1 = period.local_bounds(tz)
    daily = inputs.by_day()
    months = ledgers(daily, year_start, t1, factors, config, freq="D")
    monthly_kg = {m.month: m.location_kg for m in months}
    for use in config.fuels:
        if use.date.year == year and use.date < period.end:
            f = factors.fuel(use.fuel, use.date)
            key = use.date.strftime("%Y-%m")
            monthly_kg[key] = monthly_kg.get(key, 0.0) + scope1_fuel_kg(use.quantity, f.ncv_gj_per_unit or 0.0, f.value)
    present = yr.days_with_data(window(daily, year_start, t1), tz)
    imports = sum(m.totals["grid_import"] for m in months)
    loads = sum(m.balance.load_kwh for m in months if m.balance)
    factor = sum(m.location_kg for m in months) / imports if imports else None
    estimates = _estimates(daily, tz, year, prev_start, year_start, factor, imports / loads if loads else None,
                           baseline, baseline_conditions, config.coverage.min_data_share)
    status = yr.year_status(year, period.end, monthly_kg, present, estimates, config.budget_tco2e.get(year))
    coverage = combined([m.coverage for m in months]).to_dict()
    status.update({
        "months_with_data": sorted({d.month for d in present}),
        "monthly": yr.monthly_rows(year, period.end, monthly_kg, present, estimates[1] if estimates else None),
        "basis": "Scope 1 + Scope 2 location-based", "coverage": coverage,
        "coverage_below_threshold": below(coverage, config.coverage.min_data_share),
    })
    return status


def _estimates(daily: pd.DataFrame, tz: str, year: int, prev_start: pd.Timestamp, year_start: pd.Timestamp,
               factor: float | None, import_share: float | None, baseline: dict[str, Any] | None,
               conditions: pd.DataFrame | None, min_share: float) -> tuple[str, yr.MonthEstimates] | None:
    if factor is None:
        return None  # nothing recorded this year: no factor per kWh imported to carry an estimate
    day_kwh = yr.baseline_day_kwh(baseline, conditions) if conditions is not None and len(conditions) else None
    if day_kwh is not None and import_share is not None and baseline:
        cv = (baseline.get("cv_rmse_pct") or 0.0) / 100.0
        kg = {m: v * import_share * factor for m, v in day_kwh.items()}
        return "baseline_model", {m: (v * (1 - cv), v, v * (1 + cv)) for m, v in kg.items()}
    profile = yr.profile_day_kg(window(daily, prev_start, year_start), tz, year - 1, factor, min_share)
    return ("month_of_year_profile", profile) if profile else None


def data_quality(energy: pd.DataFrame, coverage: dict[str, Any], months: list[MonthLedger],
                 warnings: list[str], min_share: float) -> dict[str, Any]:
    """Coverage overall, by role and by month and role; every flagged interval (as runs); problems[]."""
    runs = flagged_runs(energy)
    per_month = completeness_by_month(energy) if len(energy) else pd.DataFrame()
    problems = [f"{m.month}: {m.problem}" for m in months if m.problem]
    problems += warnings
    return {"by_role": coverage, "by_month_and_role": per_month.to_dict(orient="records"),
            "flagged_intervals": runs.to_dict(orient="records"),
            "flagged_interval_count": int(runs["intervals"].sum()) if len(runs) else 0,
            "flagged_interval_limit": None, "coverage_threshold": min_share,
            "problems": problems, "overall": combined([m.coverage for m in months]).to_dict()}
