"""提碳效 Carbon efficiency: EUI, carbon intensity, per-visitor figures, chiller plant COP, PV performance ratio
(IEC 61724-1, temperature-corrected per IEC 61724-1 and weather-corrected per NREL, both from
:mod:`models.pv_expectation`) and wind capacity factor (research/carbon.md §5, §9).

Every ratio returns None when its denominator is zero or missing: an undefined number is never reported as 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import pv_expectation as pv
from models.pv_expectation import G_REF_W_PER_M2


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def per_visitor(value: float, visitors: float) -> float | None:
    """Energy (kWh) or emissions (kgCO2e) per visitor served; None when no visitor was counted."""
    return _ratio(value, visitors)


def chiller_plant_cop(cooling_kwh_th: float, electricity_kwh: float) -> float | None:
    """Plant COP = cooling delivered (kWh_th) / electrical input (kWh_e) over the same intervals."""
    return _ratio(cooling_kwh_th, electricity_kwh)


def performance_ratio(
    energy_kwh: pd.Series,
    poa_irradiance_w_per_m2: pd.Series,
    capacity_kwp: float,
    interval_h: float,
    module_temperature_c: pd.Series | None = None,
    gamma_pdc_per_c: float = 0.0,
) -> dict[str, float | int | None]:
    """Performance ratios of a PV array over the intervals with irradiance and energy.

    * ``performance_ratio``: IEC 61724-1, ``PR = Y_f / Y_r``, ``Y_f = E / P0`` (h), ``Y_r = Σ G Δt / G_ref`` (h);
    * ``performance_ratio_temperature_corrected``: IEC 61724-1 temperature-corrected,
      ``Σ E / Σ P0 × G/G_ref × (1 + γ (T_module − 25 °C)) Δt`` with the measured module temperature;
    * ``performance_ratio_weather_corrected_nrel``: NREL weather-corrected (Dierauf et al. 2013),
      ``Σ E / Σ P0 × G/G_ref × (1 + γ (T_cell − T_cell,ref)) Δt``, T_cell from the module temperature (SAPM),
      T_cell,ref the mean cell temperature of the same intervals with sun.

    Both corrections use :mod:`models.pv_expectation`, the model the underperformance alarm uses. Intervals with
    missing irradiance, energy (or temperature, for the corrected forms) are excluded from both numerator and
    denominator. PR > 1 is flagged, not clipped (a sensor or capacity error).
    """
    if capacity_kwp <= 0:
        raise ValueError("PV capacity must be > 0 kWp")
    frame = pd.DataFrame({"e": energy_kwh, "g": poa_irradiance_w_per_m2}).dropna()
    final_yield_h = frame["e"].sum() / capacity_kwp
    reference_yield_h = frame["g"].clip(lower=0).sum() * interval_h / G_REF_W_PER_M2
    pr = _ratio(final_yield_h, reference_yield_h)
    pr_t = pr_nrel = t_ref = None
    if module_temperature_c is not None:
        hot = frame.assign(t=module_temperature_c).dropna()
        g = hot["g"].clip(lower=0)
        iec_kwh = float(np.sum(pv.expected_dc_kw(g, hot["t"], capacity_kwp, gamma_pdc_per_c))) * interval_h
        pr_t = _ratio(float(hot["e"].sum()), iec_kwh)
        cell = pv.cell_temperature_c(hot["t"], g)
        t_ref = pv.sunlit_mean(cell, g)
        if t_ref is not None:
            nrel_kwh = float(np.sum(pv.expected_dc_kw(g, cell, capacity_kwp, gamma_pdc_per_c, t_ref))) * interval_h
            pr_nrel = _ratio(float(hot["e"].sum()), nrel_kwh)
    return {
        "final_yield_h": float(final_yield_h),
        "reference_yield_h": float(reference_yield_h),
        "performance_ratio": pr,
        "performance_ratio_temperature_corrected": pr_t,
        "performance_ratio_weather_corrected_nrel": pr_nrel,
        "reference_cell_temperature_c": t_ref,
        "intervals_used": int(len(frame)),
        "suspect_above_one": bool(pr is not None and pr > 1.0),
    }


def wind_capacity_factor(energy_kwh: float, rated_kw: float, hours: float) -> float | None:
    """CF = E_out / (P_rated × hours); downtime hours stay in the denominator (CF is not availability), but
    the caller passes the *measured* hours: hours without data are unknown, not downtime."""
    if rated_kw <= 0:
        raise ValueError("rated power must be > 0 kW")
    return _ratio(energy_kwh, rated_kw * hours)
