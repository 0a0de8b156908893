"""碳管理 Carbon management: annual budget, year-to-date against budget, year-end forecast, attribution by
subsystem, and data completeness (research/carbon.md §9, §10)."""

from __future__ import annotations

import calendar

import pandas as pd

from carbon.coverage import coverage_of


def budget_status(
    monthly_kg: pd.Series, budget_t: float | None, year: int, through_month: int,
    remaining_estimate_kg: float | None = None,
) -> dict[str, float | str | None]:
    """YTD emissions against the annual budget and a year-end forecast.

    ``monthly_kg`` is indexed by month number (1-12) of ``year``. YTD sums months 1..``through_month``. The
    forecast is ``YTD + remaining`` where ``remaining`` is the caller's estimate (baseline model at normal
    weather) or, failing that, the run rate ``YTD / days elapsed × days remaining``; the method is reported.
    """
    ytd_kg = float(monthly_kg[monthly_kg.index <= through_month].sum())
    days_elapsed = sum(calendar.monthrange(year, m)[1] for m in range(1, through_month + 1))
    days_year = 366 if calendar.isleap(year) else 365
    if remaining_estimate_kg is None:
        remaining_estimate_kg = ytd_kg / days_elapsed * (days_year - days_elapsed) if days_elapsed else 0.0
        method = "run_rate"
    else:
        method = "baseline_model"
    forecast_t = (ytd_kg + remaining_estimate_kg) / 1000.0
    budget_kg = budget_t * 1000.0 if budget_t else None
    return {
        "budget_tco2e": budget_t,
        "ytd_tco2e": ytd_kg / 1000.0,
        "ytd_share_of_budget": ytd_kg / budget_kg if budget_kg else None,
        "budget_to_date_tco2e": budget_t * days_elapsed / days_year if budget_t else None,
        "forecast_tco2e": forecast_t,
        "forecast_vs_budget_tco2e": forecast_t - budget_t if budget_t else None,
        "forecast_method": method,
    }


def attribution(subsystem_kwh: pd.Series, factor_kgco2e_per_kwh: float) -> pd.DataFrame:
    """Emissions by subsystem: sub-meter energy × the period's grid factor; sorted, largest emitter first.

    Columns: ``energy_kwh``, ``emissions_kgco2e``, ``share`` (of the metered total; None when it is zero).
    Sub-metered energy is attributed at the location-based average factor (one factor version per report).
    """
    total = float(subsystem_kwh.sum())
    frame = pd.DataFrame({"energy_kwh": subsystem_kwh.astype(float)})
    frame["emissions_kgco2e"] = frame["energy_kwh"] * factor_kgco2e_per_kwh
    frame["share"] = frame["energy_kwh"] / total if total > 0 else None
    return frame.sort_values(["emissions_kgco2e"], ascending=False, kind="stable")


def completeness_by_month(energy: pd.DataFrame) -> pd.DataFrame:
    """Per month and role: intervals measured / estimated / gap and their shares, from an energy frame with
    ``start`` (tz-aware), ``role`` and ``quality`` columns."""
    rows = []
    months = energy["start"].dt.tz_localize(None).dt.to_period("M")
    for (month, role), part in energy.groupby([months, energy["role"]], sort=True):
        cov = coverage_of(part["quality"])
        rows.append({"month": str(month), "role": str(role), **cov.to_dict()})
    return pd.DataFrame(rows)


def flagged_intervals(energy: pd.DataFrame, limit: int = 500) -> pd.DataFrame:
    """The estimated and gap intervals (first ``limit``), so the report lists what an auditor should check."""
    flagged = energy[energy["quality"] != "measured"]
    cols = [c for c in ("start", "role", "subsystem", "quality", "energy_kwh") if c in flagged.columns]
    return flagged.sort_values(["start", "role"], kind="stable")[cols].head(limit)
