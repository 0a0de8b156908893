"""The four strategy sections of a report (降碳需, 提碳效, 碳抵消, 碳管理), each built from a period's frames."""

from __future__ import annotations

from typing import Any

import pandas as pd

from carbon import baseline as bl
from carbon.config import BaselineSettings, CarbonConfig
from carbon.coverage import annualise, coverage_of
from carbon.efficiency import (
    chiller_plant_cop,
    per_visitor,
    performance_ratio,
    wind_capacity_factor,
)
from carbon.inputs import CarbonInputs
from carbon.ledger import BALANCE_ROLES, hourly, window
from carbon.offsets import (
    EnergyBalance,
    avoided_emissions_kg,
    building_load_kwh,
    renewable_share,
    self_consumption_ratio,
    self_sufficiency_ratio,
)


def load_by(energy: pd.DataFrame, timezone: str, freq: str = "D") -> pd.DataFrame:
    """Per local day (``D``) or hour (``h``): building load ``I + G - X - C + D`` (kWh, clipped at 0) and the
    share of non-measured intervals, from an energy frame at that resolution or finer."""
    frame = energy.assign(at=energy["start"].dt.tz_convert(timezone).dt.tz_localize(None).dt.floor(freq))
    roles = frame[frame["role"].isin(BALANCE_ROLES)].pivot_table(
        index="at", columns="role", values="energy_kwh", aggfunc="sum").reindex(columns=list(BALANCE_ROLES))
    load = building_load_kwh(roles.fillna(0.0)).clip(lower=0)
    gap = (frame["quality"] != "measured").groupby(frame["at"]).mean()
    return pd.DataFrame({"energy_kwh": load, "gap_share": gap.reindex(load.index)})


def _model_rows(inputs: CarbonInputs, settings: BaselineSettings, t0: pd.Timestamp,
                t1: pd.Timestamp) -> str | tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Baseline rows, their gap shares per sufficiency period, and reporting-period rows; or a reason text."""
    tz = inputs.site.timezone
    if settings.granularity == "hourly":
        rows = load_by(inputs.energy, tz, "h").join(
            inputs.weather["outdoor_temperature_c"].rename("temperature_c").tz_localize(None)
            if "outdoor_temperature_c" in inputs.weather else pd.Series(dtype=float, name="temperature_c"))
        rows = rows.dropna(subset=["energy_kwh", "temperature_c"])
        rows = bl.hourly_conditions(rows.assign(visitors=0.0), settings.cdd_base_c)
    else:
        rows = load_by(inputs.by_day(), tz, "D").join(inputs.daily.tz_localize(None), how="left")
        rows = rows.dropna(subset=["energy_kwh", "temperature_c", "visitors"])
    base = rows[(rows.index >= pd.Timestamp(settings.start)) & (rows.index < pd.Timestamp(settings.end))]
    report = rows[(rows.index >= t0.tz_localize(None)) & (rows.index < t1.tz_localize(None))]
    if len(base) < bl.NEEDED[settings.granularity] / 12:
        return f"insufficient baseline data: {len(base)} {settings.granularity} rows with energy and conditions"
    if settings.granularity == "hourly":
        return base, base.groupby(base.index.to_period("M"))["gap_share"].mean(), report
    if settings.granularity == "monthly":
        cond = bl.monthly_conditions(base, settings.cdd_base_c)
        gaps = base.groupby(base.index.to_period("M"))["gap_share"].mean()
        return cond, gaps, bl.monthly_conditions(report, settings.cdd_base_c) if len(report) else report
    daily = base.assign(cdd=bl.cooling_degree_days(base["temperature_c"], settings.cdd_base_c), days=1)
    report = report.assign(cdd=bl.cooling_degree_days(report["temperature_c"], settings.cdd_base_c), days=1)
    return daily, daily["gap_share"], report


def demand_reduction(inputs: CarbonInputs, config: CarbonConfig, t0: pd.Timestamp, t1: pd.Timestamp,
                     actual_load_kwh: float, location_factor: float | None) -> dict[str, Any]:
    """降碳需: baseline fit (G14 statistics, sufficiency), avoided energy and tCO2e, peak reduced by storage."""
    period = window(inputs.energy, t0, t1)
    peak = bl.peak_demand_reduction(hourly(period, "grid_import"), hourly(period, "battery_charge"),
                                    hourly(period, "battery_discharge"), interval_h=1.0)
    out: dict[str, Any] = {"peak_demand": peak, "baseline": None, "avoided_energy_kwh": None,
                           "avoided_tco2e": None, "status": "no baseline configured",
                           "coverage": coverage_of(period["quality"]).to_dict()}
    settings = config.baseline
    if settings is None:
        return out
    rows = _model_rows(inputs, settings, t0, t1)
    if isinstance(rows, str):
        out["status"] = rows
        return out
    cond, gaps, report_rows = rows
    form = "hour_of_week_temperature" if settings.granularity == "hourly" else settings.form
    sufficiency = bl.data_sufficiency(len(cond), gaps, settings.granularity, settings.max_gap_share)
    model = bl.fit_baseline(cond["energy_kwh"], cond, form, settings.granularity)
    meets = (model.cv_rmse_pct is not None and model.cv_rmse_pct <= settings.cvrmse_max_pct
             and model.nmbe_pct is not None and abs(model.nmbe_pct) <= settings.nmbe_max_pct)
    out["baseline"] = {
        "form": model.form, "granularity": model.granularity, "coefficients": model.coefficients,
        "change_point_c": model.change_point_c, "n": model.n, "p": model.p, "dof_convention": "n-p (ASHRAE G14)",
        "cv_rmse_pct": model.cv_rmse_pct, "nmbe_pct": model.nmbe_pct, "r_squared": model.r_squared,
        "cv_rmse_max_pct": settings.cvrmse_max_pct, "nmbe_max_pct": settings.nmbe_max_pct,
        "meets_criteria": meets, "sufficiency": sufficiency, "cdd_base_c": settings.cdd_base_c,
        "period": {"start": settings.start, "end": settings.end},
    }
    if len(report_rows) == 0:
        out["status"] = "no temperature/visitor data in the reporting period"
        return out
    avoided = bl.avoided_energy(model, report_rows, actual_load_kwh)
    out.update(avoided)
    out["avoided_energy_kwh"] = avoided["avoided_kwh"]
    if location_factor is not None:
        out["avoided_tco2e"] = avoided["avoided_kwh"] * location_factor / 1000.0
    out["status"] = "valid" if meets and sufficiency["sufficient"] else "indicative: baseline below G14 criteria"
    return out


def efficiency(inputs: CarbonInputs, config: CarbonConfig, t0: pd.Timestamp, t1: pd.Timestamp,
               balance: EnergyBalance | None, emissions_kg: dict[str, float], chiller_kwh: float,
               covered_days: float) -> dict[str, Any]:
    """提碳效: EUI and carbon intensity (period and annualised over the days with data), per visitor, chiller COP,
    PV performance ratios (IEC 61724-1 plain and temperature-corrected, NREL weather-corrected), wind CF."""
    days = (t1 - t0).total_seconds() / 86400.0
    area = config.area.area_m2
    load = balance.load_kwh if balance else None
    day_mask = (inputs.daily.index >= t0) & (inputs.daily.index < t1)
    visitors = float(inputs.daily.loc[day_mask, "visitors"].sum()) if len(inputs.daily) else 0.0
    cooling = float(inputs.daily.loc[day_mask, "cooling_kwh_th"].sum()) if len(inputs.daily) else 0.0
    period = window(inputs.energy, t0, t1)
    wind = period[period["role"] == "wind"]
    wind_hours = float(((wind["quality"] != "gap").groupby(wind["start"]).all()).sum())  # hours with data
    per_area = {k: v / area if v is not None and area > 0 else None for k, v in
                (("eui", load), ("loc", emissions_kg["location"]), ("mkt", emissions_kg["market"]))}
    return {
        "eui_period_kwh_per_m2": per_area["eui"],
        "eui_kwh_per_m2_a": annualise(per_area["eui"], covered_days),
        "carbon_intensity_location_period_kgco2e_per_m2": per_area["loc"],
        "carbon_intensity_location_kgco2e_per_m2_a": annualise(per_area["loc"], covered_days),
        "carbon_intensity_market_kgco2e_per_m2_a": annualise(per_area["mkt"], covered_days),
        "annualisation": f"× 365 / {covered_days:.2f} days with data (of {days:g} days in the period)",
        "visitors": visitors,
        "energy_per_visitor_kwh": per_visitor(load, visitors) if load is not None else None,
        "emissions_per_visitor_location_kgco2e": per_visitor(emissions_kg["location"], visitors),
        "chiller_plant_cop": chiller_plant_cop(cooling, chiller_kwh),
        "cooling_delivered_kwh_th": cooling, "chiller_plant_electricity_kwh": chiller_kwh,
        "pv_performance": _pv_performance(inputs, period, t0, t1),
        "wind_capacity_factor": wind_capacity_factor(float(wind["energy_kwh"].sum()), inputs.site.wind_rated_kw,
                                                     wind_hours) if inputs.site.wind_rated_kw > 0 else None,
        "wind_measured_hours": wind_hours,
        "area_m2": area, "area_basis": config.area.basis, "days": days, "covered_days": covered_days,
        "targets": dict(sorted(config.targets.items())),
        "coverage": coverage_of(period["quality"]).to_dict(),
    }


def _pv_performance(inputs: CarbonInputs, period: pd.DataFrame, t0: pd.Timestamp,
                    t1: pd.Timestamp) -> dict[str, Any] | None:
    pv = hourly(period, "pv")
    weather = inputs.weather[(inputs.weather.index >= t0) & (inputs.weather.index < t1)]
    if inputs.site.pv_capacity_kwp <= 0 or not len(pv) or not len(weather):
        return None
    pr = performance_ratio(pv, weather["poa_w_per_m2"].reindex(pv.index), inputs.site.pv_capacity_kwp, 1.0,
                           weather["module_temperature_c"].reindex(pv.index), inputs.site.pv_gamma_pdc_per_c)
    return {**pr, "shown": "performance_ratio_temperature_corrected",
            "shown_definition": "IEC 61724-1:2017 temperature-corrected PR (measured module temperature, 25 °C)",
            "nrel_definition": "NREL weather-corrected PR, Dierauf et al. 2013, NREL/TP-5200-57991 (cell "
                               "temperature; reference: mean cell temperature of the period's sunlit intervals)"}


def offsets(balance: EnergyBalance | None, problem: str | None, covered_kwh: float, location_factor: float | None,
            coverage: dict[str, Any]) -> dict[str, Any]:
    """碳抵消: generation by source, self-consumption, self-sufficiency, renewable share, avoided emissions."""
    if balance is None:
        return {"status": "invalid energy balance", "problem": problem, "coverage": coverage}
    return {
        "status": "valid", "problem": None, "balance": balance.to_dict(),
        "self_consumption_ratio": self_consumption_ratio(balance),
        "self_sufficiency_ratio": self_sufficiency_ratio(balance),
        **renewable_share(balance, covered_kwh),
        "avoided_emissions_tco2e": avoided_emissions_kg(balance.generation_kwh, location_factor) / 1000.0
        if location_factor is not None else None,
        "avoided_method": "on-site generation × location-based grid factor (displacement, not netted)",
        "coverage": coverage,
    }


def baseline_conditions(inputs: CarbonInputs, config: CarbonConfig) -> pd.DataFrame | None:
    """Per-day conditions of each month of the baseline period ("normal weather" for the forecast); None
    unless a monthly baseline is configured."""
    settings = config.baseline
    if settings is None or settings.granularity != "monthly":
        return None
    rows = load_by(inputs.by_day(), inputs.site.timezone, "D").join(inputs.daily.tz_localize(None), how="left")
    rows = rows[(rows.index >= pd.Timestamp(settings.start)) & (rows.index < pd.Timestamp(settings.end))]
    rows = rows.dropna(subset=["temperature_c", "visitors"])
    return bl.monthly_conditions(rows, settings.cdd_base_c) if len(rows) else None
