"""碳管理: budget, YTD, forecast, attribution by subsystem, data completeness."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.coverage import coverage_of
from carbon.management import attribution, budget_status, completeness_by_month, flagged_intervals


def test_ytd_and_run_rate_forecast_against_budget():
    monthly = pd.Series([100_000.0] * 10, index=range(1, 11))  # kg, Jan..Oct 2026
    s = budget_status(monthly, budget_t=1200, year=2026, through_month=10)
    assert s["ytd_tco2e"] == pytest.approx(1000)
    assert s["ytd_share_of_budget"] == pytest.approx(1000 / 1200)
    # days elapsed Jan..Oct 2026 = 304, remaining 61: 1000 + 1000 / 304 × 61 = 1200.6579 t
    assert s["forecast_tco2e"] == pytest.approx(1200.6579, rel=1e-6)
    assert s["forecast_method"] == "run_rate"
    with_model = budget_status(monthly, 1200, 2026, 10, remaining_estimate_kg=150_000)
    assert with_model["forecast_tco2e"] == pytest.approx(1150) and with_model["forecast_method"] == "baseline_model"


def test_attribution_ranks_subsystems_by_emissions():
    kwh = pd.Series({"lighting": 300.0, "chiller_plant": 600.0, "elevators": 100.0})
    a = attribution(kwh, 0.5)
    assert list(a.index) == ["chiller_plant", "lighting", "elevators"]
    assert a.loc["chiller_plant", "emissions_kgco2e"] == 300  # 600 × 0.5
    assert a.loc["elevators", "share"] == pytest.approx(0.1)  # 100 / 1000


def test_a_month_with_gaps_shows_its_gap_share():
    start = pd.date_range("2026-10-01", periods=4, freq="D", tz="Asia/Shanghai")
    energy = pd.DataFrame({"start": start, "role": "grid_import", "subsystem": "power_distribution",
                           "energy_kwh": [10.0, None, 12.0, 11.0], "quality": ["measured", "gap", "estimated",
                                                                              "measured"]})
    c = completeness_by_month(energy)
    row = c.iloc[0]
    assert row["month"] == "2026-10" and row["gap_share"] == 0.25 and row["estimated_share"] == 0.25
    assert list(flagged_intervals(energy)["quality"]) == ["gap", "estimated"]
    assert coverage_of(energy["quality"]).intervals == 4
