"""降碳需 Carbon demand reduction: a weather- and occupancy-normalised baseline (ASHRAE Guideline 14-2014, IPMVP
Option C whole facility), its goodness of fit, avoided energy, and peak demand reduced by storage.

Model forms (research/carbon.md §4): ``cdd_visitors`` ``y = b0 + b1·CDD + b2·visitors`` (p = 3),
``three_parameter_cooling`` (3PC) ``y = b0 + b1·max(T - τ, 0)`` (p = 3: the change point is a fitted parameter),
and for hourly data ``hour_of_week_temperature``, a time-of-week-and-temperature model after LBNL's TOWT:
``y = b0 + Σ_k b_k·[hour of week = k] + b_T·CDH`` (k = 1..167, CDH = max(T - T_base, 0); p = 169).
Monthly models use per-day values (kWh/day, CDD/day, visitors/day) so months of unequal length weigh alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FORMS = ("cdd_visitors", "three_parameter_cooling", "hour_of_week_temperature")
HOURS_PER_WEEK = 168
NEEDED = {"monthly": 12, "daily": 365, "hourly": 8760}  # one full cycle of operating conditions


@dataclass(frozen=True)
class BaselineModel:
    form: str
    granularity: str  # "monthly" | "daily" | "hourly"
    coefficients: dict[str, float]
    n: int
    p: int
    cv_rmse_pct: float | None
    nmbe_pct: float | None
    r_squared: float | None
    change_point_c: float | None = None
    regressors: tuple[str, ...] = field(default_factory=tuple)

    def predict(self, conditions: pd.DataFrame) -> pd.Series:
        """Predicted energy per row of ``conditions`` (the same per-day units the model was fitted on)."""
        return pd.Series(self._design(conditions) @ self._beta(), index=conditions.index)

    def _beta(self) -> np.ndarray:
        return np.array([self.coefficients[k] for k in ("intercept", *self.regressors)])

    def _design(self, conditions: pd.DataFrame) -> np.ndarray:
        return design_matrix(conditions, self.form, self.change_point_c)


def design_matrix(conditions: pd.DataFrame, form: str, change_point_c: float | None = None) -> np.ndarray:
    ones = np.ones(len(conditions))
    if form == "cdd_visitors":
        return np.column_stack([ones, conditions["cdd"].to_numpy(float), conditions["visitors"].to_numpy(float)])
    if form == "three_parameter_cooling":
        t = conditions["temperature_c"].to_numpy(float)
        return np.column_stack([ones, np.maximum(t - float(change_point_c or 0.0), 0.0)])
    if form == "hour_of_week_temperature":
        how = conditions["hour_of_week"].to_numpy(int)
        indicators = (how[:, None] == np.arange(1, HOURS_PER_WEEK)[None, :]).astype(float)
        return np.column_stack([ones, indicators, conditions["cdd"].to_numpy(float)])
    raise ValueError(f"unknown baseline form {form!r}; choose one of {', '.join(FORMS)}")


def hourly_conditions(hourly: pd.DataFrame, base_c: float) -> pd.DataFrame:
    """Hourly model rows from a frame indexed by local hour start with ``temperature_c`` (and ``energy_kwh``):
    ``hour_of_week`` (0 = Monday 00:00), ``cdd`` as cooling degree-hours ``max(T - T_base, 0)``, ``days`` = 1
    (one hour per row)."""
    index = pd.DatetimeIndex(hourly.index)
    return hourly.assign(hour_of_week=index.day_of_week * 24 + index.hour,
                         cdd=cooling_degree_days(hourly["temperature_c"], base_c), days=1.0)


def goodness_of_fit(measured: pd.Series, predicted: pd.Series, p: int) -> dict[str, float | None]:
    """CV(RMSE) and NMBE with n − p degrees of freedom (ASHRAE Guideline 14-2014; G14-2002 eq. 5.4/5.5).

    ``CV(RMSE) = 100 × sqrt(Σ e² / (n − p)) / ȳ`` and ``NMBE = 100 × Σ e / ((n − p) × ȳ)`` with ``e = y − ŷ``;
    positive NMBE means the model under-predicts. Undefined (None) when n ≤ p, ȳ = 0 or values are not finite.
    """
    y = np.asarray(measured, dtype=float)
    e = y - np.asarray(predicted, dtype=float)
    n = len(y)
    if n != len(e) or n <= p or not np.all(np.isfinite(e)):
        return {"cv_rmse_pct": None, "nmbe_pct": None, "r_squared": None}
    mean = float(y.mean())
    if mean == 0:
        return {"cv_rmse_pct": None, "nmbe_pct": None, "r_squared": None}
    ss_total = float(((y - mean) ** 2).sum())
    return {
        "cv_rmse_pct": 100.0 * float(np.sqrt((e**2).sum() / (n - p))) / mean,
        "nmbe_pct": 100.0 * float(e.sum()) / ((n - p) * mean),
        "r_squared": 1.0 - float((e**2).sum()) / ss_total if ss_total > 0 else None,
    }


def cooling_degree_days(daily_mean_temperature_c: pd.Series, base_c: float) -> pd.Series:
    """CDD per day: ``max(T_mean - T_base, 0)`` (°C·d)."""
    return (daily_mean_temperature_c - base_c).clip(lower=0)


def monthly_conditions(daily: pd.DataFrame, base_c: float) -> pd.DataFrame:
    """Per-month, per-day conditions from a daily frame indexed by local date.

    ``daily`` columns: ``energy_kwh``, ``temperature_c``, ``visitors``. Returns per month: ``days``,
    ``energy_kwh`` (per day), ``cdd`` (per day), ``temperature_c`` (mean), ``visitors`` (per day).
    """
    frame = daily.assign(cdd=cooling_degree_days(daily["temperature_c"], base_c))
    grouped = frame.groupby(pd.DatetimeIndex(frame.index).to_period("M"))
    out = grouped.agg(days=("cdd", "size"), energy_kwh=("energy_kwh", "mean"), cdd=("cdd", "mean"),
                      temperature_c=("temperature_c", "mean"), visitors=("visitors", "mean"))
    return out


def fit_baseline(y: pd.Series, conditions: pd.DataFrame, form: str, granularity: str = "monthly") -> BaselineModel:
    """Fit a baseline by ordinary least squares; 3PC searches the change point over 0.5 °C steps (min SSE)."""
    if form == "three_parameter_cooling":
        return _fit_three_parameter(y, conditions, granularity)
    x = design_matrix(conditions, form)
    beta = np.linalg.lstsq(x, y.to_numpy(float), rcond=None)[0]
    regressors: tuple[str, ...] = ("cdd", "visitors")
    if form == "hour_of_week_temperature":
        regressors = (*(f"hour_of_week_{k}" for k in range(1, HOURS_PER_WEEK)), "cdd")
    fit = goodness_of_fit(y, x @ beta, p=x.shape[1])
    return BaselineModel(form, granularity, dict(zip(("intercept", *regressors), map(float, beta), strict=True)),
                         len(y), x.shape[1], fit["cv_rmse_pct"], fit["nmbe_pct"], fit["r_squared"],
                         regressors=regressors)


def _fit_three_parameter(y: pd.Series, conditions: pd.DataFrame, granularity: str) -> BaselineModel:
    t = conditions["temperature_c"].to_numpy(float)
    best: tuple[float, float, np.ndarray] | None = None
    for tau in np.arange(np.floor(t.min()), np.ceil(t.max()) + 0.5, 0.5):
        x = design_matrix(conditions, "three_parameter_cooling", float(tau))
        beta = np.linalg.lstsq(x, y.to_numpy(float), rcond=None)[0]
        sse = float(((y.to_numpy(float) - x @ beta) ** 2).sum())
        if beta[1] >= 0 and (best is None or sse < best[0] - 1e-9):
            best = (sse, float(tau), beta)
    if best is None:
        raise ValueError("no cooling change point with a non-negative slope fits the baseline data")
    _, tau, beta = best
    x = design_matrix(conditions, "three_parameter_cooling", tau)
    fit = goodness_of_fit(y, x @ beta, p=3)  # b0, b1 and the change point τ
    return BaselineModel("three_parameter_cooling", granularity,
                         {"intercept": float(beta[0]), "cooling_slope": float(beta[1])}, len(y), 3,
                         fit["cv_rmse_pct"], fit["nmbe_pct"], fit["r_squared"], change_point_c=tau,
                         regressors=("cooling_slope",))


def data_sufficiency(periods: int, gap_shares: pd.Series, granularity: str,
                     max_gap_share: float = 0.10) -> dict[str, Any]:
    """Baseline sufficiency: a full cycle (12 months, 365 days or 8760 hours of data) and no period with
    more than ``max_gap_share`` missing intervals (IPMVP practice; the 10 % bar is a project convention)."""
    needed = NEEDED[granularity]
    incomplete = [str(k) for k, v in gap_shares.items() if v > max_gap_share]
    return {"periods": periods, "periods_needed": needed, "incomplete_periods": incomplete,
            "sufficient": periods >= needed and not incomplete}


def avoided_energy(model: BaselineModel, conditions: pd.DataFrame, actual_kwh: float) -> dict[str, float]:
    """IPMVP Option C: ``avoided = Σ baseline(reporting conditions) − Σ actual`` (no non-routine adjustment).

    ``conditions`` carry a ``days`` column: how many model units each row stands for (days in the month for
    monthly per-day models, 1 for daily and hourly rows); the prediction is scaled by it.
    """
    predicted = float((model.predict(conditions) * conditions["days"]).sum())
    return {"baseline_kwh": predicted, "actual_kwh": actual_kwh, "avoided_kwh": predicted - actual_kwh}


def peak_demand_reduction(
    grid_import_kwh: pd.Series, charge_kwh: pd.Series, discharge_kwh: pd.Series, interval_h: float
) -> dict[str, float | None]:
    """Peak grid demand with storage versus without it, on interval-average demand (kW = kWh / Δt).

    Without storage the grid would have carried the discharge and not the charge:
    ``P_no_storage,t = (I_t + D_t − C_t) / Δt``. Reduction = ``max P_no_storage − max P_actual``.
    """
    frame = pd.DataFrame({"i": grid_import_kwh, "c": charge_kwh, "d": discharge_kwh}).fillna(0.0)
    if frame.empty:
        return {"peak_kw": None, "peak_without_storage_kw": None, "reduction_kw": None}
    actual = frame["i"] / interval_h
    without = (frame["i"] + frame["d"] - frame["c"]).clip(lower=0) / interval_h
    return {"peak_kw": float(actual.max()), "peak_without_storage_kw": float(without.max()),
            "reduction_kw": float(without.max() - actual.max())}
