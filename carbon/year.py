"""碳管理 year figures: year to date against the budget and the year-end forecast, with missing days kept missing.

Days are the unit. A day *has data* when its grid import has a measured or estimated interval (or energy: a
counter's energy across a gap lands in the first interval after it). Year to date is what was recorded; it is
never divided by days without data. The forecast adds, for every day of the year without data (before the
period's end: missing; after it: still to come), an estimate from a model, with a range:

* ``baseline_model``: the monthly ASHRAE G14 baseline, when it meets the criteria, at the baseline year's
  conditions of that month (normal weather), times the year-to-date import share of load and emission factor
  per kWh imported; range ± CV(RMSE) of the model part;
* ``month_of_year_profile``: the same month of the previous year, when it has data for at least the coverage
  threshold's share of its days: its mean daily grid import × the year-to-date factor; range from its 10th to
  its 90th percentile day;
* otherwise ``none``: the forecast is not given, and ``forecast_note`` says why.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import pandas as pd

from carbon import baseline as bl

# Per month number (1-12): (low, central, high) kg per day for the days without data.
MonthEstimates = dict[int, tuple[float, float, float]]


def days_with_data(daily_energy: pd.DataFrame, timezone: str) -> set[date]:
    """Local dates whose grid import has data (a measured/estimated interval, or energy after a gap)."""
    imports = daily_energy[daily_energy["role"] == "grid_import"]
    has = (imports["quality"] != "gap") | (imports["energy_kwh"].fillna(0.0) > 0)
    starts = imports.loc[has, "start"].dt.tz_convert(timezone)
    return {ts.date() for ts in starts}


def year_days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range(366 if calendar.isleap(year) else 365)]


def baseline_day_kwh(baseline: dict[str, Any] | None, conditions: pd.DataFrame) -> dict[int, float] | None:
    """Per month number: the monthly baseline's kWh per day at ``conditions`` (one row per baseline month);
    None unless a monthly baseline meets the G14 criteria."""
    if not baseline or baseline.get("granularity") != "monthly" or not baseline.get("meets_criteria"):
        return None
    coefficients = baseline["coefficients"]
    model = bl.BaselineModel(baseline["form"], "monthly", coefficients, baseline["n"], baseline["p"], None, None,
                             None, baseline["change_point_c"], tuple(k for k in coefficients if k != "intercept"))
    predicted = model.predict(conditions)
    return {p.month: float(v) for p, v in zip(conditions.index, predicted, strict=True)}


def profile_day_kg(daily_energy: pd.DataFrame, timezone: str, year: int, factor_kg_per_import_kwh: float,
                   min_data_share: float) -> MonthEstimates:
    """Per month number of ``year``: (p10, mean, p90) kg per day from the grid import of its days with data,
    for months where those days are at least ``min_data_share`` of the month."""
    imports = daily_energy[daily_energy["role"] == "grid_import"]
    present = days_with_data(daily_energy, timezone)
    local = imports.assign(day=imports["start"].dt.tz_convert(timezone).dt.date)
    per_day = local[local["day"].isin(present)].groupby("day")["energy_kwh"].sum()
    out: MonthEstimates = {}
    for month in range(1, 13):
        days = per_day[[d.year == year and d.month == month for d in per_day.index]]
        if len(days) < min_data_share * calendar.monthrange(year, month)[1] or len(days) == 0:
            continue
        kg = days * factor_kg_per_import_kwh
        out[month] = (float(kg.quantile(0.1)), float(kg.mean()), float(kg.quantile(0.9)))
    return out


def forecast_missing(missing: list[date], per_month: MonthEstimates) -> tuple[float, float,
                                                                                                      float] | None:
    """(low, central, high) kg for ``missing`` days from per-month (low, central, high) kg per day; None when a
    missing day's month has no estimate."""
    if any(d.month not in per_month for d in missing):
        return None
    low = sum(per_month[d.month][0] for d in missing)
    mid = sum(per_month[d.month][1] for d in missing)
    high = sum(per_month[d.month][2] for d in missing)
    return low, mid, high


def year_status(year: int, period_end: date, monthly_kg: dict[str, float], present: set[date],
                estimates: tuple[str, MonthEstimates] | None, budget_t: float | None,
                reason: str = "") -> dict[str, Any]:
    """YTD, budget to date and forecast of ``year`` from recorded kg per month (``YYYY-MM``) through
    ``period_end`` (exclusive), the days with data, and the chosen method's per-month kg-per-day estimates.

    Hand example: year 2026 (365 d), period end 2026-07-01, data for 100 of the 181 days, 500 t recorded,
    estimate 4 t per day for every month → missing to date 81 days (324 t), still to come 184 days (736 t):
    YTD 500 t, gap-filled YTD 824 t, forecast 500 + 4 × 265 = 1,560 t.
    """
    days = year_days(year)
    elapsed = [d for d in days if d < period_end]
    missing_to_date = [d for d in elapsed if d not in present]
    to_come = [d for d in days if d >= period_end]
    ytd_kg = sum(monthly_kg.values())
    out: dict[str, Any] = {
        "year": year, "budget_tco2e": budget_t, "ytd_tco2e": ytd_kg / 1000.0,
        "ytd_share_of_budget": ytd_kg / (budget_t * 1000.0) if budget_t else None,
        "budget_to_date_tco2e": budget_t * len(elapsed) / len(days) if budget_t else None,
        "days_elapsed": len(elapsed), "days_with_data": len(elapsed) - len(missing_to_date),
        "days_missing": len(missing_to_date), "days_to_come": len(to_come),
        "ytd_gap_filled_tco2e": None, "forecast_tco2e": None, "forecast_low_tco2e": None,
        "forecast_high_tco2e": None, "forecast_vs_budget_tco2e": None, "forecast_method": "none",
        "forecast_note": reason or "cannot forecast: no baseline model meeting ASHRAE G14 and no month-of-year "
                                   "profile from the previous year for the days without data",
    }
    if estimates is None:
        return out
    method, per_month = estimates
    filled = forecast_missing(missing_to_date, per_month)
    rest = forecast_missing(to_come, per_month)
    if filled is None or rest is None:
        out["forecast_note"] = f"cannot forecast: {method} has no estimate for some months without data"
        return out
    out.update({
        "ytd_gap_filled_tco2e": (ytd_kg + filled[1]) / 1000.0,
        "forecast_tco2e": (ytd_kg + filled[1] + rest[1]) / 1000.0,
        "forecast_low_tco2e": (ytd_kg + filled[0] + rest[0]) / 1000.0,
        "forecast_high_tco2e": (ytd_kg + filled[2] + rest[2]) / 1000.0,
        "forecast_method": method,
        "forecast_note": f"recorded emissions plus {method} estimates for {len(missing_to_date)} days without "
                         f"data and {len(to_come)} days to come",
    })
    out["forecast_vs_budget_tco2e"] = out["forecast_tco2e"] - budget_t if budget_t else None
    return out


def monthly_rows(year: int, period_end: date, monthly_kg: dict[str, float], present: set[date],
                 per_month: MonthEstimates | None) -> list[dict[str, Any]]:
    """One row per month of the year: recorded tCO2e and the estimate for its days without data (or None)."""
    rows = []
    for month in range(1, 13):
        key = f"{year}-{month:02d}"
        days = [d for d in year_days(year) if d.month == month]
        missing = [d for d in days if d not in present or d >= period_end]
        estimate = per_month[month][1] * len(missing) / 1000.0 if per_month and month in per_month else None
        rows.append({"month": key, "recorded_tco2e": monthly_kg.get(key, 0.0) / 1000.0 if days[0] < period_end
                     else None, "days": len(days), "days_with_data": len(days) - len(missing),
                     "estimated_missing_tco2e": estimate if missing else 0.0})
    return rows
