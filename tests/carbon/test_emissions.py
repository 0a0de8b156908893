"""Scope 2 both ways, Scope 1 fuels, GB/T 51366 operational carbon, declared instruments."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from carbon.emissions import operational_carbon_gbt51366, scope1_fuel_kg, scope2_location_kg, scope2_market_kg
from carbon.instruments import Instrument, apply_electricity_instruments, ccer_retired_t, gec_valid_until


def test_location_based_uses_each_months_own_factor():
    imports = pd.Series([1000.0, 2000.0])
    factors = pd.Series([0.4, 0.5])
    # 1000 × 0.4 + 2000 × 0.5 = 400 + 1000 = 1400
    assert scope2_location_kg(imports, factors) == pytest.approx(1400)


def test_market_based_covers_part_of_import_with_certificates():
    imports = pd.Series([1000.0, 3000.0])  # I = 4000
    # residual Σ I_t EF = 1000 × 0.6 + 3000 × 0.6 = 2400; Q = 1000 at EF 0 -> uncovered share 0.75
    # S2_MB = 0 + 0.75 × 2400 = 1800
    assert scope2_market_kg(imports, 0.6, covered_kwh=1000) == pytest.approx(1800)


def test_market_based_never_goes_below_zero_when_covered_exceeds_import():
    assert scope2_market_kg(pd.Series([500.0]), 0.6, covered_kwh=9000) == 0.0


def test_null_power_takes_the_residual_mix():
    # I = 1000 at 0.6 = 600; N = 200 self-consumed kWh whose GECs were sold -> + 200 × 0.6 = 120
    assert scope2_market_kg(pd.Series([1000.0]), 0.6, covered_kwh=0, null_power_kwh=200) == pytest.approx(720)


def test_zero_import_gives_zero_scope2_both_ways():
    assert scope2_location_kg(pd.Series([0.0]), 0.5) == 0
    assert scope2_market_kg(pd.Series([0.0]), 0.6, covered_kwh=1000) == 0


def test_diesel_scope1_per_ipcc_default():
    # 1000 L × 0.0360 GJ/L = 36 GJ = 0.036 TJ; × 74,100 kg/TJ = 2667.6 kg
    assert scope1_fuel_kg(1000, 0.0360, 74100) == pytest.approx(2667.6)


def test_gbt51366_a_full_year_without_fuels_or_sink_is_the_same_period_and_annualised():
    r = operational_carbon_gbt51366(10000, 2000, 0.5, 0.0, area_m2=100, green_sink_kg_per_a=0.0, period_days=365,
                                    covered_days=365)
    # (10000 − 2000) × 0.5 = 4000 kg; / 100 m² = 40 kg/m², and a complete year annualises to itself
    assert r["total_kgco2e"] == pytest.approx(4000)
    assert r["per_area_kgco2e_per_m2"] == pytest.approx(40)
    assert r["annualised_per_area_kgco2e_per_m2_a"] == pytest.approx(40)


def test_gbt51366_one_month_sums_electricity_and_fuels_and_prorates_the_sink():
    # October: 31 days, 29 of them with data; A = 2,000 m²; EF 0.4042 kg/kWh
    # E = 50,000 kWh used, ER = 12,000 kWh self-consumed → 38,000 kWh × 0.4042 = 15,359.6 kg
    # diesel 400 L × 0.0360 GJ/L × 74,100 kg/TJ / 1,000 = 1,067.04 kg
    # sink 7,300 kg/a × 31 / 365 = 620 kg
    # period: 15,359.6 + 1,067.04 − 620 = 15,806.64 kg → 7.90332 kg/m²
    # annual: 15,359.6 × 365 / 29 + 1,067.04 × 365 / 31 − 7,300 = 5,606,254 / 29 + 389,469.6 / 31 − 7,300
    #       = 193,319.1034 + 12,563.5355 − 7,300 = 198,582.6389 kg/a → 99.29132 kg/(m²·a)
    diesel = scope1_fuel_kg(400, 0.0360, 74100)
    assert diesel == pytest.approx(1067.04)
    r = operational_carbon_gbt51366(50_000, 12_000, 0.4042, diesel, area_m2=2000, green_sink_kg_per_a=7300,
                                    period_days=31, covered_days=29)
    assert r["electricity_kgco2e"] == pytest.approx(15359.6)
    assert r["green_sink_kg"] == pytest.approx(620)
    assert r["total_kgco2e"] == pytest.approx(15806.64)
    assert r["per_area_kgco2e_per_m2"] == pytest.approx(7.90332, rel=1e-6)
    assert r["annualised_kgco2e_per_a"] == pytest.approx(198582.6389, rel=1e-8)
    assert r["annualised_per_area_kgco2e_per_m2_a"] == pytest.approx(99.29132, rel=1e-6)


def test_gbt51366_never_subtracts_more_than_consumption():
    r = operational_carbon_gbt51366(1000, 5000, 0.5, 0.0, area_m2=100, green_sink_kg_per_a=0.0, period_days=30,
                                    covered_days=0)
    assert r["net_electricity_kwh"] == 0
    assert r["renewable_subtracted_kwh"] == 1000
    assert r["annualised_kgco2e_per_a"] is None  # no day with data: nothing to annualise


def _gec(id_: str, n: float, vintage: date, claim=(date(2026, 1, 1), date(2027, 1, 1)), status="retired"):
    return Instrument("gec", id_, f"{id_}-0001", f"{id_}-{int(n):04d}", n, vintage, vintage, status, *claim)


def test_gec_validity_is_24_months_from_production_month():
    assert gec_valid_until(date(2025, 3, 1)) == date(2027, 3, 1)  # Mar 2025 .. Feb 2027 inclusive


def test_gecs_declared_for_a_year_cover_a_month_pro_rata_and_cap_at_import():
    gecs = [_gec("A", 365, date(2026, 1, 1)), _gec("B", 10, date(2026, 1, 1), status="held")]
    # A: 365 GEC = 365,000 kWh over 365 days; October (31 days) -> 31,000 kWh eligible; import only 20,000
    rows, covered, surplus = apply_electricity_instruments(gecs, date(2026, 10, 1), date(2026, 11, 1), 20000)
    assert covered == pytest.approx(20000)
    assert surplus == pytest.approx(11000)  # 31,000 - 20,000
    assert [r.reason.split(":")[0] for r in rows] == ["applied up to grid import; rest surplus", "held, not retired"]


def test_expired_gec_is_not_applied():
    old = _gec("OLD", 100, date(2023, 1, 1))  # valid until 2025-01-01, claim from 2026-01-01
    rows, covered, _ = apply_electricity_instruments([old], date(2026, 1, 1), date(2027, 1, 1), 1e6)
    assert covered == 0 and rows[0].reason.startswith("expired")


def test_ccer_retired_in_period_is_listed_not_netted():
    ccer = Instrument("ccer", "C1", "CCER-1", "CCER-50", 50, date(2024, 1, 1), date(2024, 12, 31), "retired",
                      retired_on=date(2026, 10, 15))
    rows = ccer_retired_t([ccer], date(2026, 10, 1), date(2026, 11, 1))
    assert rows[0].applied == 50
    assert ccer_retired_t([ccer], date(2026, 11, 1), date(2026, 12, 1))[0].applied == 0
