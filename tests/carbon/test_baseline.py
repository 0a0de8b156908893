"""降碳需: ASHRAE Guideline 14 goodness of fit with n − p, change-point and CDD + visitors baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.baseline import (
    avoided_energy,
    data_sufficiency,
    fit_baseline,
    goodness_of_fit,
    monthly_conditions,
    peak_demand_reduction,
)


def test_cvrmse_and_nmbe_use_n_minus_p():
    measured = pd.Series([10.0, 12.0, 14.0, 16.0])  # ȳ = 13
    # e = [-1, 1, -1, 1]: Σe² = 4, n - p = 4 - 2 = 2 -> CV = 100 × sqrt(4/2) / 13 = 10.8786 %, NMBE = 0
    fit = goodness_of_fit(measured, pd.Series([11.0, 11.0, 15.0, 15.0]), p=2)
    assert fit["cv_rmse_pct"] == pytest.approx(10.8786, rel=1e-4)
    assert fit["nmbe_pct"] == pytest.approx(0.0)
    # e = [1, 1, 1, 1]: NMBE = 100 × 4 / (2 × 13) = 15.3846 % (positive: model under-predicts)
    biased = goodness_of_fit(measured, pd.Series([9.0, 11.0, 13.0, 15.0]), p=2)
    assert biased["nmbe_pct"] == pytest.approx(15.3846, rel=1e-4)


def test_fit_is_undefined_when_n_not_above_p_or_mean_zero():
    assert goodness_of_fit(pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0]), p=2)["cv_rmse_pct"] is None
    assert goodness_of_fit(pd.Series([1.0, -1.0, 0.0]), pd.Series([0.0, 0.0, 0.0]), p=1)["nmbe_pct"] is None


def test_cdd_visitors_regression_recovers_exact_coefficients():
    rng = np.random.default_rng(1)
    cond = pd.DataFrame({"cdd": rng.uniform(0, 10, 12), "visitors": rng.uniform(1000, 5000, 12)})
    y = 2000 + 150 * cond["cdd"] + 0.8 * cond["visitors"]  # exact: CV(RMSE) = 0
    model = fit_baseline(y, cond, "cdd_visitors")
    assert model.p == 3 and model.n == 12
    assert model.coefficients["cdd"] == pytest.approx(150)
    assert model.coefficients["visitors"] == pytest.approx(0.8)
    assert model.cv_rmse_pct == pytest.approx(0, abs=1e-9)


def test_three_parameter_cooling_finds_the_change_point():
    t = pd.Series(np.arange(10.0, 31.0))
    y = 50 + 4 * np.maximum(t - 20, 0)  # flat 50 below 20 °C, +4 per °C above
    model = fit_baseline(y, pd.DataFrame({"temperature_c": t}), "three_parameter_cooling")
    assert model.change_point_c == 20.0
    assert model.coefficients["cooling_slope"] == pytest.approx(4)
    assert model.p == 3  # b0, b1 and τ


def test_monthly_conditions_are_per_day_and_avoided_energy_scales_by_days():
    days = pd.date_range("2026-01-01", "2026-02-28", freq="D")
    daily = pd.DataFrame({"energy_kwh": 1000.0, "temperature_c": 20.0, "visitors": 100.0}, index=days)
    cond = monthly_conditions(daily, base_c=18.0)
    assert list(cond["days"]) == [31, 28]
    assert list(cond["cdd"]) == [2.0, 2.0]  # 20 - 18
    model = fit_baseline(pd.Series([1100.0, 1100.0, 1000.0, 1200.0]),
                         pd.DataFrame({"cdd": [1.0, 1.0, 0.0, 2.0], "visitors": [100.0, 100.0, 100.0, 100.0]}),
                         "cdd_visitors")
    # collinear visitors: lstsq gives the minimum-norm fit; prediction at cdd = 2 is 1200 kWh/day
    result = avoided_energy(model, cond, actual_kwh=59 * 1000.0)
    # baseline = 1200 × (31 + 28) = 70,800; avoided = 70,800 - 59,000 = 11,800 kWh
    assert result["baseline_kwh"] == pytest.approx(70_800)
    assert result["avoided_kwh"] == pytest.approx(11_800)


def test_data_sufficiency_needs_a_full_year_without_gappy_months():
    ok = data_sufficiency(12, pd.Series([0.0] * 12), "monthly")
    assert ok["sufficient"] is True
    gappy = data_sufficiency(12, pd.Series([0.0] * 11 + [0.2], index=[f"2025-{m:02d}" for m in range(1, 13)]),
                             "monthly")
    assert gappy["sufficient"] is False and gappy["incomplete_periods"] == ["2025-12"]
    assert data_sufficiency(9, pd.Series([0.0] * 9), "monthly")["sufficient"] is False


def test_storage_discharge_at_peak_reduces_grid_peak():
    imports = pd.Series([100.0, 300.0, 200.0])  # kWh per hour
    charge = pd.Series([50.0, 0.0, 0.0])
    discharge = pd.Series([0.0, 80.0, 0.0])
    r = peak_demand_reduction(imports, charge, discharge, interval_h=1.0)
    # without storage: [100 - 50, 300 + 80, 200] = [50, 380, 200] -> 380 kW; actual 300 kW; reduction 80 kW
    assert r == {"peak_kw": 300.0, "peak_without_storage_kw": 380.0, "reduction_kw": 80.0}
