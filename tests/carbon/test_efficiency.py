"""提碳效: EUI, per-visitor, COP, PV performance ratio against pvlib, wind capacity factor."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.efficiency import (
    annualised_per_area,
    chiller_plant_cop,
    per_visitor,
    performance_ratio,
    wind_capacity_factor,
)


def test_eui_of_a_month_is_annualised_by_its_days():
    # 310,000 kWh / 1,000 m² × 365 / 31 = 310 × 11.774... = 3,650 kWh/(m²·a)
    assert annualised_per_area(310_000, 1_000, 31) == pytest.approx(3650)


def test_per_visitor_and_cop_are_undefined_without_a_denominator():
    assert per_visitor(5000, 2500) == 2.0  # 5000 kWh / 2500 visitors
    assert per_visitor(5000, 0) is None
    assert chiller_plant_cop(4500, 1000) == 4.5  # 4500 kWh_th / 1000 kWh_e
    assert chiller_plant_cop(4500, 0) is None


def test_performance_ratio_plain_and_temperature_corrected():
    e = pd.Series([7.0, 5.0])  # kWh in two 1-hour intervals, P0 = 10 kWp
    g = pd.Series([800.0, 600.0])  # W/m²
    t_mod = pd.Series([25.0, 25.0])
    r = performance_ratio(e, g, 10, 1.0, t_mod, gamma_pdc_per_c=-0.004)
    # Y_f = 12 / 10 = 1.2 h; Y_r = (800 + 600) × 1 h / 1000 = 1.4 h; PR = 1.2 / 1.4 = 0.857143
    assert r["final_yield_h"] == pytest.approx(1.2)
    assert r["reference_yield_h"] == pytest.approx(1.4)
    assert r["performance_ratio"] == pytest.approx(0.857143, rel=1e-5)
    # cell = module + G/1000 × 3 °C: 27.4 and 26.8 °C
    # expected = 10 × 0.8 × (1 - 0.004 × 2.4) + 10 × 0.6 × (1 - 0.004 × 1.8) = 7.9232 + 5.9568 = 13.88 kWh
    # PR_T = 12 / 13.88 = 0.864553
    assert r["performance_ratio_temperature_corrected"] == pytest.approx(0.864553, rel=1e-5)


def test_performance_ratio_excludes_intervals_without_irradiance_and_is_undefined_at_night():
    e = pd.Series([7.0, 3.0])
    g = pd.Series([800.0, None])  # second interval: irradiance sensor gap -> excluded from both sides
    r = performance_ratio(e, g, 10, 1.0)
    assert r["intervals_used"] == 1
    assert r["performance_ratio"] == pytest.approx(0.875)  # (7 / 10) / (800 / 1000)
    night = performance_ratio(pd.Series([0.0]), pd.Series([0.0]), 10, 1.0)
    assert night["performance_ratio"] is None


def test_performance_ratio_above_one_is_flagged_not_clipped():
    r = performance_ratio(pd.Series([9.0]), pd.Series([500.0]), 10, 1.0)
    assert r["performance_ratio"] == pytest.approx(1.8)  # 0.9 h / 0.5 h
    assert r["suspect_above_one"] is True


def test_wind_capacity_factor_counts_downtime_hours():
    # 43,800 kWh / (50 kW × 8,760 h) = 0.1
    assert wind_capacity_factor(43_800, 50, 8760) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        wind_capacity_factor(1, 0, 10)
