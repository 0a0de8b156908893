"""碳管理: year to date and forecast with days missing, attribution adding up to Scope 2, data completeness."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from carbon.coverage import coverage_of
from carbon.management import attribution, completeness_by_month, flagged_runs
from carbon.year import year_status


def test_partial_year_keeps_missing_days_missing_and_forecasts_them_from_the_model():
    # 2026 (365 d), period end 2026-07-01: 181 days elapsed, data for 100 of them (Jan 1 .. Apr 10)
    present = {date(2026, 1, 1) + timedelta(days=i) for i in range(100)}
    recorded = {"2026-01": 124_000.0, "2026-02": 112_000.0, "2026-03": 124_000.0, "2026-04": 140_000.0}  # 500 t
    per_day = {m: (3_000.0, 4_000.0, 5_000.0) for m in range(1, 13)}  # kg/day: low, central, high
    s = year_status(2026, date(2026, 7, 1), recorded, present, ("baseline_model", per_day), budget_t=1200)
    # YTD is what was recorded: 500 t, not divided by the 181 days as if 81 of them had been zero
    assert s["ytd_tco2e"] == pytest.approx(500)
    assert (s["days_elapsed"], s["days_with_data"], s["days_missing"], s["days_to_come"]) == (181, 100, 81, 184)
    # days without data to date: 81 × 4 t = 324 t → gap-filled YTD 824 t
    assert s["ytd_gap_filled_tco2e"] == pytest.approx(824)
    # forecast: 500 + 4 × (81 + 184) = 500 + 1,060 = 1,560 t; range 500 + 3 × 265 = 1,295 .. 500 + 5 × 265 = 1,825
    assert s["forecast_tco2e"] == pytest.approx(1560)
    assert (s["forecast_low_tco2e"], s["forecast_high_tco2e"]) == (pytest.approx(1295), pytest.approx(1825))
    assert s["forecast_vs_budget_tco2e"] == pytest.approx(360)
    # budget to date: 1,200 × 181 / 365 = 595.07 t; share used 500 / 1,200
    assert s["budget_to_date_tco2e"] == pytest.approx(595.0685, rel=1e-6)
    assert s["ytd_share_of_budget"] == pytest.approx(500 / 1200)


def test_without_a_model_or_profile_the_forecast_says_it_cannot_forecast():
    present = {date(2026, 1, 1) + timedelta(days=i) for i in range(30)}
    s = year_status(2026, date(2026, 7, 1), {"2026-01": 100_000.0}, present, None, budget_t=1200)
    assert s["forecast_tco2e"] is None and s["forecast_method"] == "none"
    assert s["forecast_note"].startswith("cannot forecast")
    # a profile that lacks a month with missing days cannot forecast either
    partial = {m: (1.0, 2.0, 3.0) for m in range(1, 7)}
    s = year_status(2026, date(2026, 7, 1), {"2026-01": 100_000.0}, present, ("month_of_year_profile", partial), 1200)
    assert s["forecast_tco2e"] is None and "no estimate for some months" in s["forecast_note"]


def test_attribution_adds_up_to_the_scope2_total_with_self_consumed_renewables_uncharged():
    # I = 800 kWh at 0.5 kg/kWh → S2_LB = 400 kg; PV self-consumed 200 kWh → L = 1,000 kWh
    # f = 400 / 1,000 = 0.4 kg/kWh: chiller 600 × 0.4 = 240, lighting 300 × 0.4 = 120, lifts 50 × 0.4 = 20,
    # unmetered 1,000 − 950 = 50 kWh × 0.4 = 20 → 240 + 120 + 20 + 20 = 400 kg = S2_LB
    # (at the grid factor the sub-meters alone would be 950 × 0.5 = 475 kg, more than Scope 2)
    kwh = pd.Series({"lighting": 300.0, "chiller_plant": 600.0, "elevators": 50.0})
    a = attribution(kwh, 400.0, 1000.0)
    assert list(a.index[:2]) == ["chiller_plant", "lighting"]
    assert a.loc["chiller_plant", "emissions_kgco2e"] == pytest.approx(240)
    assert a.loc["unmetered", "energy_kwh"] == pytest.approx(50)
    assert a["emissions_kgco2e"].sum() == pytest.approx(400)
    assert a.loc["lighting", "share"] == pytest.approx(0.3)  # 300 / 1,000 kWh of building load


def test_every_flagged_interval_is_listed_as_runs_that_add_up_to_the_coverage():
    start = pd.date_range("2026-10-01", periods=6, freq="h", tz="Asia/Shanghai")
    energy = pd.DataFrame({"start": start, "role": "grid_import", "subsystem": "power_distribution",
                           "energy_kwh": [10.0, None, None, 12.0, 11.0, None],
                           "quality": ["measured", "gap", "gap", "estimated", "measured", "gap"]})
    c = completeness_by_month(energy)
    row = c.iloc[0]
    assert row["month"] == "2026-10" and row["gap_share"] == 0.5 and row["estimated_share"] == pytest.approx(1 / 6)
    runs = flagged_runs(energy)
    # hours 1-2 gap (one run of 2), hour 3 estimated, hour 5 gap: 3 runs, 4 intervals
    assert list(runs["quality"]) == ["gap", "estimated", "gap"]
    assert list(runs["intervals"]) == [2, 1, 1]
    assert runs.iloc[0]["end"] == start[3]
    cov = coverage_of(energy["quality"])
    assert runs["intervals"].sum() == cov.estimated + cov.gap


def _flagged_runs_rowwise(energy: pd.DataFrame) -> pd.DataFrame:
    """The form before issue 15 (a joined string key per row, via DataFrame.apply): the reference the
    vectorised run search must match."""
    cols = ["start", "end", "role", "subsystem", "quality", "intervals", "energy_kwh"]
    flagged = energy[energy["quality"] != "measured"].sort_values(["role", "subsystem", "quality", "start"],
                                                                  kind="stable")
    step = energy["start"].sort_values().drop_duplicates().diff().min()
    key = flagged[["role", "subsystem", "quality"]].astype(str).agg("|".join, axis=1)
    new_run = (key != key.shift()) | (flagged["start"] - flagged["start"].shift() != step)
    runs = flagged.assign(run=new_run.cumsum()).groupby("run", sort=False).agg(
        start=("start", "first"), last=("start", "last"), role=("role", "first"), subsystem=("subsystem", "first"),
        quality=("quality", "first"), intervals=("start", "size"), energy_kwh=("energy_kwh", "sum"))
    runs["end"] = runs["last"] + step
    return runs.sort_values(["start", "role", "subsystem"], kind="stable")[cols].reset_index(drop=True)


def test_flagged_runs_vectorised_finds_the_same_runs_as_the_row_wise_form():
    # two roles, three subsystems (one missing), both flags, runs broken by a measured hour, by a change of
    # flag, of subsystem and by a skipped hour; rows shuffled so the sort is exercised too
    rng = pd.Series(range(400)).sample(frac=1.0, random_state=7).to_numpy()
    hours = pd.date_range("2026-10-01", periods=100, freq="h", tz="Asia/Shanghai")
    rows = []
    for i, (role, sub) in enumerate([("grid_import", "lighting"), ("grid_import", "hvac"),
                                     ("pv", "power_distribution"), ("pv", "lighting")]):
        for h, when in enumerate(hours):
            q = ["measured", "gap", "gap", "estimated", "gap", "measured", "estimated"][(h * (i + 1)) % 7]
            if (h + i) % 13 == 0:
                continue  # a skipped interval splits a run
            rows.append({"start": when, "role": role, "subsystem": sub, "quality": q,
                         "energy_kwh": None if q == "gap" else float(h)})
    energy = pd.DataFrame(rows).iloc[[j for j in rng if j < len(rows)]].reset_index(drop=True)
    expected, got = _flagged_runs_rowwise(energy), flagged_runs(energy)
    assert len(expected) > 50  # the frame has many runs of every kind
    pd.testing.assert_frame_equal(got, expected)


def test_flagged_runs_of_a_role_without_subsystem_are_runs_not_single_intervals():
    # the row-wise form raised on a missing subsystem (pandas keeps NaN through astype(str))
    start = pd.date_range("2026-10-01", periods=4, freq="h", tz="Asia/Shanghai")
    energy = pd.DataFrame({"start": start, "role": "grid_import", "subsystem": None, "energy_kwh": None,
                           "quality": ["gap", "gap", "gap", "measured"]})
    runs = flagged_runs(energy)
    assert list(runs["intervals"]) == [3] and runs.iloc[0]["end"] == start[3]
