"""提碳效: annualisation, per-visitor, COP, the PV performance ratios (IEC 61724-1 plain and temperature-corrected,
NREL weather-corrected), the shared PV expectation model against pvlib, wind capacity factor."""

from __future__ import annotations

import pandas as pd
import pytest
from pvlib.pvsystem import pvwatts_dc
from pvlib.temperature import sapm_cell_from_module

from carbon.coverage import annualise
from carbon.efficiency import (
    chiller_plant_cop,
    per_visitor,
    performance_ratio,
    wind_capacity_factor,
)
from models.pv_expectation import cell_temperature_c, expected_dc_kw


def test_a_figure_is_annualised_over_its_days_with_data_not_its_calendar_days():
    # 310 kWh/m² over a complete 31-day month: 310 × 365 / 31 = 3,650 kWh/(m²·a)
    assert annualise(310.0, 31) == pytest.approx(3650)
    # half the month without data (15.5 days covered) and 155 kWh/m² recorded: 155 × 365 / 15.5 = 3,650, not
    # 155 × 365 / 31 = 1,825 as if the missing half had been zero
    assert annualise(155.0, 15.5) == pytest.approx(3650)
    assert annualise(155.0, 0) is None


def test_per_visitor_and_cop_are_undefined_without_a_denominator():
    assert per_visitor(5000, 2500) == 2.0  # 5000 kWh / 2500 visitors
    assert per_visitor(5000, 0) is None
    assert chiller_plant_cop(4500, 1000) == 4.5  # 4500 kWh_th / 1000 kWh_e
    assert chiller_plant_cop(4500, 0) is None


def test_performance_ratio_plain_iec_temperature_corrected_and_nrel_weather_corrected():
    e = pd.Series([7.0, 5.0])  # kWh in two 1-hour intervals, P0 = 10 kWp
    g = pd.Series([800.0, 600.0])  # W/m²
    t_mod = pd.Series([45.0, 35.0])  # measured back-of-module temperature, °C
    r = performance_ratio(e, g, 10, 1.0, t_mod, gamma_pdc_per_c=-0.004)
    # Y_f = 12 / 10 = 1.2 h; Y_r = (800 + 600) × 1 h / 1000 = 1.4 h; PR = 1.2 / 1.4 = 0.857143
    assert r["final_yield_h"] == pytest.approx(1.2)
    assert r["reference_yield_h"] == pytest.approx(1.4)
    assert r["performance_ratio"] == pytest.approx(0.857143, rel=1e-5)
    # IEC 61724-1: module temperature, 25 °C reference
    # expected = 10 × 0.8 × (1 − 0.004 × 20) + 10 × 0.6 × (1 − 0.004 × 10) = 7.36 + 5.76 = 13.12 kWh
    # PR_T = 12 / 13.12 = 0.914634
    assert r["performance_ratio_temperature_corrected"] == pytest.approx(0.914634, rel=1e-5)
    # NREL: cell = module + G/1000 × 3 °C = 47.4 and 36.8 °C; reference = their mean 42.1 °C
    # expected = 8 × (1 − 0.004 × 5.3) + 6 × (1 − 0.004 × (−5.3)) = 7.8304 + 6.1272 = 13.9576 kWh
    # PR_NREL = 12 / 13.9576 = 0.859747
    assert r["reference_cell_temperature_c"] == pytest.approx(42.1)
    assert r["performance_ratio_weather_corrected_nrel"] == pytest.approx(0.859747, rel=1e-5)


def test_the_shared_pv_model_is_pvwatts_and_sapm_as_pvlib_computes_them():
    g = pd.Series([0.0, 250.0, 800.0, 1100.0])
    t_mod = pd.Series([20.0, 30.0, 48.0, 61.0])
    cell = cell_temperature_c(t_mod, g)
    assert list(cell) == pytest.approx(list(sapm_cell_from_module(t_mod, g, deltaT=3)))
    ours = expected_dc_kw(g, cell, 100.0, -0.0037, t_ref_c=31.0)
    theirs = pvwatts_dc(g, cell, 100.0, -0.0037, temp_ref=31.0)
    assert list(ours) == pytest.approx(list(theirs))


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


def test_wind_capacity_factor_counts_downtime_hours_over_the_measured_hours():
    # 720 measured hours of a 744-hour month (24 h without data): 3,600 kWh / (50 kW × 720 h) = 0.1
    # 43,800 kWh / (50 kW × 8,760 h) = 0.1
    assert wind_capacity_factor(3_600, 50, 720) == pytest.approx(0.1)
    # 43,800 kWh / (50 kW × 8,760 h) = 0.1: downtime (0 kWh, but measured) stays in the hours
    assert wind_capacity_factor(43_800, 50, 8760) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        wind_capacity_factor(1, 0, 10)
