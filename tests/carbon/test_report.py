"""The report model: Scope 2 both ways, strategies, edge cases, and byte-identical JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from carbon.canonical import dumps
from carbon.period import parse_period
from carbon.report import build_report
from tests.carbon.synthetic import hourly_site


@pytest.fixture(scope="module")
def october(inputs, factors, config):  # type: ignore[no-untyped-def]
    return build_report(inputs, factors, config, parse_period("2026-10"), command="zerocarbon report --period 2026-10")


def test_scope2_location_and_market_side_by_side(october):  # type: ignore[no-untyped-def]
    imports = october["energy_kwh"]["grid_import"]
    # location-based: October 2026 import × 南方 2023 factor 0.4042
    assert october["scope2"]["location_based_kgco2e"] == pytest.approx(imports * 0.4042, rel=1e-9)
    # market-based: 12 GEC × 1000 kWh declared for exactly October cover 12,000 kWh; the rest at residual 0.6096
    assert october["scope2"]["instrument_covered_kwh"] == pytest.approx(12_000)
    assert october["scope2"]["market_based_kgco2e"] == pytest.approx((imports - 12_000) * 0.6096, rel=1e-9)


def test_scope1_diesel_and_ccer_kept_out_of_gross(october):  # type: ignore[no-untyped-def]
    # 100 L × 0.0360 GJ/L = 3.6 GJ = 0.0036 TJ × 74,100 kg/TJ = 266.76 kg
    assert october["scope1"]["total_kgco2e"] == pytest.approx(266.76)
    assert october["instruments"]["ccer_retired_tco2e"] == 5
    assert october["summary"]["scope2_location_tco2e"] == pytest.approx(
        october["scope2"]["location_based_kgco2e"] / 1000)  # CCER not netted


def test_baseline_sees_the_chiller_saving_as_avoided_energy(october, inputs):  # type: ignore[no-untyped-def]
    dr = october["strategies"]["demand_reduction"]
    assert dr["baseline"]["p"] == 3 and dr["baseline"]["n"] == 12
    assert dr["baseline"]["cv_rmse_pct"] == pytest.approx(0, abs=1e-6)  # synthetic load is exactly linear
    assert dr["status"] == "valid"
    chiller = next(r for r in october["subsystems"] if r["id"] == "chiller_plant")["energy_kwh"]
    # actual chiller = 0.9 × what the baseline expects, so avoided = chiller / 0.9 - chiller = chiller / 9
    assert dr["avoided_energy_kwh"] == pytest.approx(chiller / 9, rel=1e-6)
    assert dr["avoided_tco2e"] == pytest.approx(chiller / 9 * 0.4042 / 1000, rel=1e-6)
    # storage discharges 9 kWh at 18:00 and 19:00, the evening peak (open, no PV): peak 9 kW lower with it
    # (17:00 still has >= 15 kWh of PV, so it never becomes the new peak)
    assert dr["peak_demand"]["reduction_kw"] == pytest.approx(9, abs=1e-6)


def test_offsets_and_efficiency_numbers(october, config):  # type: ignore[no-untyped-def]
    off = october["strategies"]["offset"]
    b = off["balance"]
    # load = I + G - X - C + D
    assert b["load_kwh"] == pytest.approx(b["import_kwh"] + b["generation_kwh"] - b["export_kwh"]
                                          - b["charge_kwh"] + b["discharge_kwh"])
    assert off["self_sufficiency_ratio"] == pytest.approx(b["self_consumed_kwh"] / b["load_kwh"])
    eff = october["strategies"]["efficiency"]
    # EUI = load / 5000 m² × 365 / 31
    assert eff["eui_kwh_per_m2_a"] == pytest.approx(b["load_kwh"] / 5000 * 365 / 31)
    # cooling is 4.5 × chiller electricity in the synthetic site
    assert eff["chiller_plant_cop"] == pytest.approx(4.5)
    # wind: 2 kWh every hour of 31 days on 10 kW rated -> CF = 2 / 10 = 0.2
    assert eff["wind_capacity_factor"] == pytest.approx(0.2)
    assert 0.7 < eff["pv_performance"]["performance_ratio"] < 0.9  # synthetic PV = 0.82 × POA/1000 × P0


def test_same_inputs_give_byte_identical_json(inputs, factors, config, october):  # type: ignore[no-untyped-def]
    again = build_report(replace(inputs, energy=inputs.energy.sample(frac=1, random_state=3)), factors, config,
                         parse_period("2026-10"), command="zerocarbon report --period 2026-10")
    assert dumps(again) == dumps(october)
    assert '"issued_at": null' in dumps(october)  # no hidden "now"


def test_a_month_with_gaps_is_flagged_not_zeroed(inputs, factors, config):  # type: ignore[no-untyped-def]
    energy = inputs.energy.copy()
    day = (energy["start"].dt.day == 10) & (energy["start"].dt.month == 10) & (energy["start"].dt.year == 2026)
    energy.loc[day & (energy["role"] == "grid_import"), "quality"] = "gap"
    r = build_report(replace(inputs, energy=energy), factors, config, parse_period("2026-10"))
    # 24 of 744 October hours of grid import are gaps
    assert r["data_quality"]["by_role"]["grid_import"]["gap_share"] == pytest.approx(24 / 744)
    # every flagged interval is listed: one run of 24 consecutive hours
    assert r["data_quality"]["flagged_interval_count"] == 24
    assert [run["intervals"] for run in r["data_quality"]["flagged_intervals"]] == [24]
    assert r["summary"]["measured_share"] < 1.0
    assert r["monthly"][0]["gap_share"] == pytest.approx(24 / (744 * 9))  # 9 role/subsystem series


def test_export_greater_than_generation_is_reported_as_a_problem(inputs, factors, config):  # type: ignore[no-untyped-def]
    energy = inputs.energy.copy()
    hit = (energy["role"] == "grid_export") & (energy["start"] == energy["start"].iloc[0] + np.timedelta64(
        (365 + 273) * 24 + 5, "h"))
    energy.loc[hit, "energy_kwh"] = 1e7
    r = build_report(replace(inputs, energy=energy), factors, config, parse_period("2026-10"))
    assert r["strategies"]["offset"]["status"] == "invalid energy balance"
    assert "exceeds on-site generation" in r["strategies"]["offset"]["problem"]
    assert r["data_quality"]["problems"] and r["scope2"]["location_based_kgco2e"] > 0


def test_site_without_pv_has_undefined_self_consumption(factors, config):  # type: ignore[no-untyped-def]
    no_pv = hourly_site(date(2026, 10, 1), date(2026, 11, 1), pv_kwp=0.0)
    no_pv = replace(no_pv, energy=no_pv.energy[no_pv.energy["role"] != "wind"],
                    site=replace(no_pv.site, pv_capacity_kwp=0.0, wind_rated_kw=0.0))
    r = build_report(no_pv, factors, config, parse_period("2026-10"))
    off = r["strategies"]["offset"]
    assert off["self_consumption_ratio"] is None and off["self_sufficiency_ratio"] == 0.0
    assert r["strategies"]["efficiency"]["pv_performance"] is None
    assert r["strategies"]["demand_reduction"]["status"].startswith("insufficient baseline data")


def test_year_report_has_twelve_months_and_budget(inputs, factors, config):  # type: ignore[no-untyped-def]
    r = build_report(inputs, factors, config, parse_period("2026"))
    assert [m["month"] for m in r["monthly"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    total = sum(m["scope2_location_kgco2e"] for m in r["monthly"])
    assert r["scope2"]["location_based_kgco2e"] == pytest.approx(total)
    mgmt = r["strategies"]["management"]
    assert mgmt["budget_tco2e"] == 1200
    assert mgmt["ytd_tco2e"] == pytest.approx((total + 266.76) / 1000)  # full year: YTD = the year
    assert mgmt["forecast_tco2e"] == pytest.approx(mgmt["ytd_tco2e"])
    # the burn-down's months add up to the same YTD (one figure, not two)
    assert sum(m["recorded_tco2e"] for m in mgmt["monthly"]) == pytest.approx(mgmt["ytd_tco2e"])


def test_period_labels():
    assert parse_period("2026-Q3").start == date(2026, 7, 1) and parse_period("2026-Q3").end == date(2026, 10, 1)
    with pytest.raises(ValueError, match="use YYYY-MM"):
        parse_period("2026-13")


def test_daily_baseline_granularity_needs_a_full_year_of_days(inputs, factors, config):  # type: ignore[no-untyped-def]
    daily = config.model_copy(update={"baseline": config.baseline.model_copy(update={"granularity": "daily"})})
    r = build_report(inputs, factors, daily, parse_period("2026-10"))
    dr = r["strategies"]["demand_reduction"]
    assert dr["baseline"]["n"] == 365 and dr["baseline"]["granularity"] == "daily"
    assert dr["baseline"]["sufficiency"]["sufficient"] is True  # 365 days, no gaps
    chiller = next(s for s in r["subsystems"] if s["id"] == "chiller_plant")["energy_kwh"]
    assert dr["avoided_energy_kwh"] == pytest.approx(chiller / 9, rel=1e-6)  # same saving seen day by day


def test_hourly_time_of_week_baseline(inputs, factors, config):  # type: ignore[no-untyped-def]
    hourly = config.model_copy(update={"baseline": config.baseline.model_copy(
        update={"granularity": "hourly", "cvrmse_max_pct": 30.0, "nmbe_max_pct": 10.0})})
    r = build_report(inputs, factors, hourly, parse_period("2026-10"))
    b = r["strategies"]["demand_reduction"]["baseline"]
    assert b["form"] == "hour_of_week_temperature"
    assert b["n"] == 8760 and b["p"] == 169  # 2025 has 8,760 hours; intercept + 167 hour-of-week + CDH slope
    assert b["nmbe_pct"] == pytest.approx(0, abs=1e-6)  # OLS with intercept is unbiased in sample
    # hourly load has structure no TOWT term sees (cooling only in open hours): ~32 % > the 30 % bar
    assert 20 < b["cv_rmse_pct"] < 40 and b["meets_criteria"] is False
    assert r["strategies"]["demand_reduction"]["status"] == "indicative: baseline below G14 criteria"
    chiller = next(s for s in r["subsystems"] if s["id"] == "chiller_plant")["energy_kwh"]
    # the model cannot see that cooling only runs in open hours, so the avoided energy is near, not at, chiller / 9
    assert r["strategies"]["demand_reduction"]["avoided_energy_kwh"] == pytest.approx(chiller / 9, rel=0.25)


def test_year_end_forecast_uses_the_baseline_at_normal_weather(october, inputs):  # type: ignore[no-untyped-def]
    mgmt = october["strategies"]["management"]
    assert mgmt["forecast_method"] == "baseline_model"
    e = inputs.energy
    local = e["start"].dt.tz_localize(None)

    def kwh(roles, lo, hi):  # type: ignore[no-untyped-def]
        return e[e["role"].isin(roles) & (local >= lo) & (local < hi)]["energy_kwh"].sum()

    # the model is exact and 2025 had no saving, so the baseline for Nov-Dec at 2025 conditions = 2025's load
    load_nov_dec_2025 = kwh(["consumption", "ev_charging"], "2025-11-01", "2026-01-01")
    # YTD 2026 (Jan-Oct): import share of load, and factor 0.4042 all year
    share = kwh(["grid_import"], "2026-01-01", "2026-11-01") / kwh(["consumption", "ev_charging"], "2026-01-01",
                                                                  "2026-11-01")
    remaining_t = load_nov_dec_2025 * share * 0.4042 / 1000
    assert mgmt["forecast_tco2e"] == pytest.approx(mgmt["ytd_tco2e"] + remaining_t, rel=1e-6)


def test_documented_schema_lists_exactly_the_top_level_keys(october):  # type: ignore[no-untyped-def]
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "report-schema.md").read_text(encoding="utf-8")
    table = doc.split("## Top level", 1)[1].split("\n\n", 2)[1]
    documented = {re.sub(r"\[\]$", "", m) for m in re.findall(r"^\| `([a-z0-9_]+(?:\[\])?)`", table, re.M)}
    assert documented == set(october)
    assert october["schema"] == "zerocarbon/carbon-report@1"


def test_year_under_way_forecasts_past_its_year_to_date(factors, config):  # type: ignore[no-untyped-def]
    """A year report asked in June (data to the end of June): the second half is missing, not zero, and without
    a baseline or last year's data there is no forecast, only the statement that there cannot be one."""
    half = hourly_site(date(2026, 1, 1), date(2026, 7, 1))
    report = build_report(half, factors, config, parse_period("2026"))
    mgmt = report["strategies"]["management"]
    ytd = sum(m["scope2_location_kgco2e"] for m in report["monthly"])
    assert mgmt["ytd_tco2e"] == pytest.approx((ytd + 266.76) / 1000)  # + the diesel declared for October
    assert mgmt["months_with_data"] == [1, 2, 3, 4, 5, 6]
    assert (mgmt["days_with_data"], mgmt["days_missing"]) == (181, 184)  # Jul 1 - Dec 31 have no data
    assert mgmt["forecast_method"] == "none" and mgmt["forecast_tco2e"] is None
    assert mgmt["forecast_note"].startswith("cannot forecast")
    # 181 of 365 days with data: below the 80 % threshold, so the report warns in problems[]
    assert mgmt["coverage"]["data_share"] == pytest.approx(181 / 365)
    assert report["summary"]["coverage_below_threshold"] is True
    assert any("below the 80% coverage threshold" in p for p in report["data_quality"]["problems"])
    # EUI annualised over the 181 days with data, not the 365 days of the year
    eff = report["strategies"]["efficiency"]
    assert eff["eui_kwh_per_m2_a"] == pytest.approx(eff["eui_period_kwh_per_m2"] * 365 / 181, rel=1e-9)


def test_year_under_way_forecasts_from_last_years_month_of_year_profile(factors, config):  # type: ignore[no-untyped-def]
    """2025 complete, 2026 to June, no baseline configured: the second half comes from 2025's same months."""
    data = hourly_site(date(2025, 1, 1), date(2026, 7, 1))
    report = build_report(data, factors, config.model_copy(update={"baseline": None}), parse_period("2026"))
    mgmt = report["strategies"]["management"]
    assert mgmt["forecast_method"] == "month_of_year_profile"
    e = data.by_day()
    local = e["start"].dt.tz_localize(None)
    imports = e[e["role"] == "grid_import"]

    def kwh(lo: str, hi: str) -> float:
        return float(imports[(local[imports.index] >= lo) & (local[imports.index] < hi)]["energy_kwh"].sum())

    # each missing day gets its month's 2025 mean daily import × the 2026 YTD factor (kg per kWh imported);
    # summed over complete months, that is 2025's Jul-Dec import × the factor
    factor = sum(m["scope2_location_kgco2e"] for m in report["monthly"]) / kwh("2026-01-01", "2026-07-01")
    rest_t = kwh("2025-07-01", "2026-01-01") * factor / 1000
    assert mgmt["forecast_tco2e"] == pytest.approx(mgmt["ytd_tco2e"] + rest_t, rel=1e-9)
    assert mgmt["forecast_low_tco2e"] < mgmt["forecast_tco2e"] < mgmt["forecast_high_tco2e"]


def test_totals_reconcile_across_sections(october):  # type: ignore[no-untyped-def]
    """Every total adds up: attribution = Scope 2 LB, GB/T breakdown rows = its total, GB/T fuels = Scope 1,
    monthly rows = the period, and the certificate rows carry claim period and retirement date."""
    s2 = october["scope2"]["location_based_kgco2e"]
    assert sum(r["emissions_location_kgco2e"] for r in october["subsystems"]) == pytest.approx(s2, rel=1e-9)
    g = october["gbt51366"]
    assert sum(r["emissions_kgco2e"] for r in g["breakdown"][:-1]) == pytest.approx(g["total_kgco2e"])
    assert g["breakdown"][-1]["emissions_kgco2e"] == pytest.approx(g["total_kgco2e"])
    assert g["fuels_kgco2e"] == pytest.approx(october["scope1"]["total_kgco2e"]) == pytest.approx(266.76)
    # electricity: (L − M) × the period's import-weighted factor, which is S2_LB / import
    b = october["strategies"]["offset"]["balance"]
    factor = s2 / october["energy_kwh"]["grid_import"]
    assert g["electricity_kgco2e"] == pytest.approx((b["load_kwh"] - b["self_consumed_kwh"]) * factor, rel=1e-9)
    # a complete 31-day October annualises electricity and fuels alike: × 365 / 31
    assert g["annualised_kgco2e_per_a"] == pytest.approx(g["total_kgco2e"] * 365 / 31, rel=1e-9)
    assert sum(m["scope2_location_kgco2e"] for m in october["monthly"]) == pytest.approx(s2)
    gec = next(i for i in october["instruments"]["electricity"] if i["id"] == "gec-a")
    assert (gec["claim_start"], gec["claim_end"], gec["retired_on"]) == (date(2026, 10, 1), date(2026, 11, 1),
                                                                          date(2026, 11, 5))
    assert october["building"] == {"area_m2": 5000.0, "area_basis": "gross_floor_area",
                                   "targets": {"eui_kwh_per_m2_a": 90.0}}


def test_tables_show_ratios_as_percent_and_list_area_targets_and_gbt_breakdown(october):  # type: ignore[no-untyped-def]
    from carbon.tables import report_tables

    tables = {t.id: t for t in report_tables(october)}
    units = {c.shown_unit for t in tables.values() for c in t.columns} | {
        row[3] for t in tables.values() if [c.key for c in t.columns][-1:] == ["unit"] for row in t.rows}
    assert "ratio" not in units and "%" in units
    summary = {row[1]: row[2] for row in tables["summary"].rows}
    assert summary["Self-sufficiency"] == pytest.approx(october["summary"]["self_sufficiency_ratio"] * 100)
    building = {row[1]: row[2] for row in tables["building"].rows}
    assert building["Floor area"] == 5000 and building["Target eui_kwh_per_m2_a"] == 90
    assert [row[1] for row in tables["gbt51366_breakdown"].rows] == [
        "Electricity net of renewables used", "Fuel: diesel", "Green-space sink, pro rata", "Total, period"]
    columns = {c.key for c in tables["instruments"].columns}
    assert {"claim_start", "claim_end", "retired_on", "project", "note"} <= columns
