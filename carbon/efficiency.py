"""提碳效 Carbon efficiency: EUI, carbon intensity, per-visitor figures, chiller plant COP, PV performance ratio
(IEC 61724-1, against pvlib PVWatts expected power) and wind capacity factor (research/carbon.md §5, §9).

Every ratio returns None when its denominator is zero or missing: an undefined number is never reported as 0.
"""

from __future__ import annotations

import pandas as pd
import pvlib

DAYS_PER_YEAR = 365.0
G_REF_W_PER_M2 = 1000.0  # IEC 61724-1 reference irradiance
T_REF_C = 25.0  # STC cell temperature


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def annualised_per_area(value: float, area_m2: float, days: float) -> float | None:
    """Per-area annual intensity: ``value / A × 365 / days`` (EUI kWh/(m²·a), GB/T 51161 form; carbon kgCO2e/(m²·a)).

    A month is scaled to a year by its day count, so a 31-day month of 310,000 kWh over 1,000 m² gives
    310000 / 1000 × 365 / 31 = 3,650 kWh/(m²·a).
    """
    if area_m2 <= 0 or days <= 0:
        return None
    return value / area_m2 * DAYS_PER_YEAR / days


def per_visitor(value: float, visitors: float) -> float | None:
    """Energy (kWh) or emissions (kgCO2e) per visitor served; None when no visitor was counted."""
    return _ratio(value, visitors)


def chiller_plant_cop(cooling_kwh_th: float, electricity_kwh: float) -> float | None:
    """Plant COP = cooling delivered (kWh_th) / electrical input (kWh_e) over the same intervals."""
    return _ratio(cooling_kwh_th, electricity_kwh)


def expected_pv_power_kw(
    poa_irradiance_w_per_m2: pd.Series, module_temperature_c: pd.Series, capacity_kwp: float, gamma_pdc_per_c: float
) -> pd.Series:
    """Expected DC power from irradiance and module temperature, PVWatts (pvlib.pvsystem.pvwatts_dc).

    ``P = P0 × G_POA / 1000 × (1 + γ (T_cell - 25))`` with the cell temperature derived from the back-of-module
    temperature by the SAPM relation (pvlib.temperature.sapm_cell_from_module, ΔT = 3 °C, open rack).
    """
    cell_c = pvlib.temperature.sapm_cell_from_module(module_temperature_c, poa_irradiance_w_per_m2, deltaT=3)
    dc_w = pvlib.pvsystem.pvwatts_dc(poa_irradiance_w_per_m2, cell_c, capacity_kwp * 1000.0, gamma_pdc_per_c)
    return pd.Series(dc_w, index=poa_irradiance_w_per_m2.index) / 1000.0


def performance_ratio(
    energy_kwh: pd.Series,
    poa_irradiance_w_per_m2: pd.Series,
    capacity_kwp: float,
    interval_h: float,
    module_temperature_c: pd.Series | None = None,
    gamma_pdc_per_c: float = 0.0,
) -> dict[str, float | int | None]:
    """Performance ratio PR = Y_f / Y_r (IEC 61724-1), plain and temperature-corrected.

    ``Y_f = E_out / P0`` (h), ``Y_r = H_POA / G_ref`` (h), ``H_POA = Σ G_k Δt``. The temperature-corrected form
    divides by pvlib's expected energy, ``PR_T = Σ E_k / Σ P_exp,k Δt`` (NREL weather-corrected PR, T_ref = 25 °C).
    Intervals with missing irradiance or energy are excluded from both numerator and denominator. PR > 1 is
    flagged, not clipped (a sensor or capacity error).
    """
    if capacity_kwp <= 0:
        raise ValueError("PV capacity must be > 0 kWp")
    frame = pd.DataFrame({"e": energy_kwh, "g": poa_irradiance_w_per_m2})
    if module_temperature_c is not None:
        frame["t"] = module_temperature_c
    frame = frame.dropna()
    final_yield_h = frame["e"].sum() / capacity_kwp
    reference_yield_h = frame["g"].clip(lower=0).sum() * interval_h / G_REF_W_PER_M2
    pr = _ratio(final_yield_h, reference_yield_h)
    pr_t = None
    if module_temperature_c is not None and len(frame):
        expected_kwh = expected_pv_power_kw(frame["g"].clip(lower=0), frame["t"], capacity_kwp, gamma_pdc_per_c)
        pr_t = _ratio(float(frame["e"].sum()), float(expected_kwh.sum() * interval_h))
    return {
        "final_yield_h": float(final_yield_h),
        "reference_yield_h": float(reference_yield_h),
        "performance_ratio": pr,
        "performance_ratio_temperature_corrected": pr_t,
        "intervals_used": int(len(frame)),
        "suspect_above_one": bool(pr is not None and pr > 1.0),
    }


def wind_capacity_factor(energy_kwh: float, rated_kw: float, hours: float) -> float | None:
    """CF = E_out / (P_rated × hours in period); downtime hours stay in the denominator (CF is not availability)."""
    if rated_kw <= 0:
        raise ValueError("rated power must be > 0 kW")
    return _ratio(energy_kwh, rated_kw * hours)
