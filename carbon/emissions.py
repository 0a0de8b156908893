"""Emissions inventory: Scope 2 location- and market-based side by side, Scope 1 fuels, GB/T 51366 operational carbon.

Sources: GHG Protocol Scope 2 Guidance (WRI/WBCSD 2015) ch. 6-7; IPCC 2006 Guidelines Vol. 2 ch. 2 (stationary
combustion); GB/T 51366-2019 建筑碳排放计算标准 §4.1 (research/carbon.md §2, §3, §8).
"""

from __future__ import annotations

import pandas as pd

KG_PER_TONNE = 1000.0
GJ_PER_TJ = 1000.0


def scope2_location_kg(import_kwh: pd.Series, factor_kgco2e_per_kwh: pd.Series | float) -> float:
    """Location-based Scope 2: ``S2_LB = Σ_t E_import,t × EF_grid,t`` (Scope 2 Guidance ch. 6).

    ``factor_kgco2e_per_kwh`` is a scalar or a series aligned on ``import_kwh``'s index, so monthly or hourly
    factors apply to the energy of their own interval. Missing (NaN) energy is not counted as zero by the
    caller: gaps show in the result's coverage.
    """
    return float((import_kwh * factor_kgco2e_per_kwh).sum(skipna=True))


def scope2_market_kg(
    import_kwh: pd.Series,
    residual_factor_kgco2e_per_kwh: pd.Series | float,
    covered_kwh: float,
    covered_factor_kgco2e_per_kwh: float = 0.0,
    null_power_kwh: float = 0.0,
) -> float:
    """Market-based Scope 2 (Scope 2 Guidance ch. 6, hierarchy: certificates, then the residual mix).

    ``S2_MB = Q × EF_instr + (1 - Q/I) × Σ_t I_t × EF_res,t + N × EF_res`` where ``Q`` (≤ I) is the import
    covered by applied instruments, spread over the period in proportion to import, and ``N`` is self-consumed
    on-site generation whose certificates were sold ("null power", which takes the residual mix). China has no
    official residual mix; the MEE factor excluding market-traded non-fossil power is the configured proxy.
    """
    total_import = float(import_kwh.sum(skipna=True))
    residual_kg = float((import_kwh * residual_factor_kgco2e_per_kwh).sum(skipna=True))
    if total_import <= 0:
        return 0.0 + null_power_kwh * _mean_factor(residual_factor_kgco2e_per_kwh)
    covered = min(max(covered_kwh, 0.0), total_import)
    uncovered_share = 1.0 - covered / total_import
    null_kg = null_power_kwh * residual_kg / total_import if null_power_kwh else 0.0
    return covered * covered_factor_kgco2e_per_kwh + uncovered_share * residual_kg + null_kg


def _mean_factor(factor: pd.Series | float) -> float:
    if isinstance(factor, pd.Series):
        return float(factor.mean()) if len(factor) else 0.0
    return float(factor)


def scope1_fuel_kg(quantity: float, ncv_gj_per_unit: float, factor_kgco2_per_tj: float) -> float:
    """Scope 1 CO2 from a fuel: ``E = FC × NCV × EF`` (IPCC 2006 Vol. 2 eq. 2.1, default factors Table 2.2).

    ``quantity`` in the fuel's unit (L, m³), ``ncv_gj_per_unit`` its net calorific value, ``factor_kgco2_per_tj``
    e.g. 74,100 for gas/diesel oil and 56,100 for natural gas.
    """
    if quantity < 0:
        raise ValueError(f"fuel quantity {quantity:g} is negative")
    return quantity * ncv_gj_per_unit / GJ_PER_TJ * factor_kgco2_per_tj


def operational_carbon_gbt51366(
    electricity_kwh: float,
    renewable_used_kwh: float,
    electricity_factor_kgco2e_per_kwh: float,
    fuels_kgco2e: float,
    area_m2: float,
    green_sink_kg_per_a: float,
    period_days: float,
    covered_days: float,
    year_days: float = 365.0,
) -> dict[str, float | None]:
    """Operational carbon per floor area, GB/T 51366-2019 §4.1: ``C_M = [Σ_i E_i × EF_i − C_p] × y / A``.

    The sum runs over every energy type i: electricity, ``E = max(E_consumed − ER, 0)`` (on-site renewable energy
    used by the building is subtracted, never beyond consumption), and the Scope 1 fuels (``fuels_kgco2e`` =
    Σ FC × NCV × EF). ``C_p`` is an annual sink, so a period of ``period_days`` subtracts its pro-rata share
    ``C_p × period_days / year_days``. Two results, labelled:

    * the period value ``total_kgco2e`` / ``per_area_kgco2e_per_m2`` (what was emitted in the period);
    * the annual form (y = 1) ``annualised_kgco2e_per_a`` / ``annualised_per_area_kgco2e_per_m2_a``: electricity
      scaled by ``year_days / covered_days`` (days with data), fuels by ``year_days / period_days`` (deliveries
      are events, not intervals), minus the full annual sink. A complete year gives the same number twice.

    Worked month (31 days, all covered, year 365 d, A = 1,000 m²): E = 10,000 kWh, ER = 2,000 kWh, EF = 0.5,
    fuels 268.76 kg, C_p = 3,650 kg/a: period (8,000 × 0.5 + 268.76 − 3,650 × 31/365) / 1,000 = 3.958760 kg/m²;
    annual ((4,000 + 268.76) × 365 / 31 − 3,650) / 1,000 = 46.611 kg/(m²·a).
    """
    if area_m2 <= 0:
        raise ValueError(f"area {area_m2:g} m² must be > 0: set area.area_m2 in config/carbon.yaml")
    net_kwh = max(electricity_kwh - renewable_used_kwh, 0.0)
    electricity_kg = net_kwh * electricity_factor_kgco2e_per_kwh
    sink_kg = green_sink_kg_per_a * period_days / year_days
    total_kg = electricity_kg + fuels_kgco2e - sink_kg
    annual_kg = None
    if covered_days > 0 and period_days > 0:
        annual_kg = (electricity_kg * year_days / covered_days + fuels_kgco2e * year_days / period_days
                     - green_sink_kg_per_a)
    return {
        "consumption_kwh": electricity_kwh,
        "renewable_subtracted_kwh": electricity_kwh - net_kwh,
        "net_electricity_kwh": net_kwh,
        "electricity_kgco2e": electricity_kg,
        "fuels_kgco2e": fuels_kgco2e,
        "green_sink_kg": sink_kg,
        "green_sink_kg_per_a": green_sink_kg_per_a,
        "total_kgco2e": total_kg,
        "per_area_kgco2e_per_m2": total_kg / area_m2,
        "period_days": period_days,
        "covered_days": covered_days,
        "annualised_kgco2e_per_a": annual_kg,
        "annualised_per_area_kgco2e_per_m2_a": annual_kg / area_m2 if annual_kg is not None else None,
    }
