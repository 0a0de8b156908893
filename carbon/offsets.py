"""碳抵消 Carbon offset: on-site PV and wind, self-consumption, self-sufficiency, renewable share, avoided emissions.

Definitions follow Luthander et al., "Photovoltaic self-consumption in buildings: A review", Applied Energy 142
(2015) 80-94 (research/carbon.md §6), extended to wind as a first-class on-site source and to batteries that may
also be charged from the grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from models.errors import EnergyBalanceError

# The site balance L = I + G - X - C + D as signed terms, one column per energy role (G = pv + wind).
LOAD_TERMS: dict[str, float] = {"grid_import": 1.0, "pv": 1.0, "wind": 1.0, "grid_export": -1.0,
                                "battery_charge": -1.0, "battery_discharge": 1.0}


def building_load_kwh(flows: pd.DataFrame) -> pd.Series:
    """Energy the building used per row, ``L = I + G - X - C + D`` (Luthander 2015), from a frame with one
    column per energy role (``grid_import``, ``pv``, ``wind``, ``grid_export``, ``battery_charge``,
    ``battery_discharge``, kWh). A role the frame lacks counts as 0 (a site without wind or storage); a NaN
    stays NaN (unknown energy is not zero); nothing is clipped.

    Example: I = 100, PV = 30, X = 5, C = 20, D = 10 gives L = 100 + 30 - 5 - 20 + 10 = 115 kWh.
    """
    terms = flows.reindex(columns=list(LOAD_TERMS), fill_value=0.0).to_numpy(dtype=float)
    return pd.Series(terms @ np.fromiter(LOAD_TERMS.values(), float), index=flows.index, name="load_kwh")


def building_load_total_kwh(totals: Mapping[str, float]) -> float:
    """:func:`building_load_kwh` of one period's totals (role -> kWh), without building a frame: the same signed
    terms, so the same balance (a one-row frame costs ~3 ms a call; the console and the ledgers call this often)."""
    return float(sum(sign * float(totals.get(role, 0.0)) for role, sign in LOAD_TERMS.items()))


@dataclass(frozen=True)
class EnergyBalance:
    """One period's site energy balance, all in kWh."""

    import_kwh: float
    export_kwh: float
    pv_kwh: float
    wind_kwh: float
    charge_kwh: float
    discharge_kwh: float
    grid_charge_kwh: float  # part of the battery charge that came from the grid
    load_kwh: float  # energy consumed by the building: I + G - X - C + D
    self_consumed_kwh: float  # on-site renewable energy consumed on site, directly or via the battery

    @property
    def generation_kwh(self) -> float:
        return self.pv_kwh + self.wind_kwh

    @property
    def storage_losses_kwh(self) -> float:
        return self.charge_kwh - self.discharge_kwh

    def to_dict(self) -> dict[str, float]:
        out = asdict(self)
        out["generation_kwh"] = self.generation_kwh
        out["storage_losses_kwh"] = self.storage_losses_kwh
        return out


def energy_balance(
    import_kwh: float,
    export_kwh: float,
    pv_kwh: float,
    wind_kwh: float = 0.0,
    charge_kwh: float = 0.0,
    discharge_kwh: float = 0.0,
) -> EnergyBalance:
    """Build and check a period's energy balance.

    ``L = I + G - X - C + D`` (Luthander 2015). The battery may be charged from the grid: the charge that
    on-site generation left after export cannot cover, ``C_grid = max(0, C - (G - X))``, came from the grid, and
    the discharge is split between renewable and grid origin in the same proportion as the charge. The
    self-consumed renewable energy is then ``M = (G - X - C_re) + D × C_re / C``.

    Raises
    ------
    EnergyBalanceError
        A negative quantity, export greater than generation, or a load below zero.
    """
    values = dict(import_kwh=import_kwh, export_kwh=export_kwh, pv_kwh=pv_kwh, wind_kwh=wind_kwh,
                  charge_kwh=charge_kwh, discharge_kwh=discharge_kwh)
    negative = [k for k, v in values.items() if v < 0]
    if negative:
        raise EnergyBalanceError(f"negative energy in {', '.join(negative)}: meters count up; check the counters")
    generation = pv_kwh + wind_kwh
    if export_kwh > generation + 1e-9:
        raise EnergyBalanceError(
            f"export {export_kwh:g} kWh exceeds on-site generation {generation:g} kWh: check the export meter "
            "direction and that every PV/wind meter is in the site file"
        )
    flows = {"grid_import": import_kwh, "pv": pv_kwh, "wind": wind_kwh, "grid_export": export_kwh,
             "battery_charge": charge_kwh, "battery_discharge": discharge_kwh}
    load = building_load_total_kwh(flows)
    if load < -1e-9:
        raise EnergyBalanceError(f"building load {load:g} kWh is negative: battery charge exceeds all supply")
    grid_charge = max(0.0, charge_kwh - (generation - export_kwh))
    renewable_charge = charge_kwh - grid_charge
    renewable_discharge = discharge_kwh * renewable_charge / charge_kwh if charge_kwh > 0 else 0.0
    self_consumed = generation - export_kwh - renewable_charge + renewable_discharge
    return EnergyBalance(import_kwh, export_kwh, pv_kwh, wind_kwh, charge_kwh, discharge_kwh,
                         grid_charge, max(load, 0.0), max(self_consumed, 0.0))


def _clamped_ratio(numerator: float, denominator: float) -> float | None:
    if denominator <= 0:
        return None
    return min(max(numerator / denominator, 0.0), 1.0)


def self_consumption_ratio(balance: EnergyBalance) -> float | None:
    """SC = M / G, clamped to [0, 1]; None (undefined) when there is no on-site generation (Luthander 2015)."""
    return _clamped_ratio(balance.self_consumed_kwh, balance.generation_kwh)


def self_sufficiency_ratio(balance: EnergyBalance) -> float | None:
    """SS = M / L, clamped to [0, 1]; None when the building consumed nothing; 0 when there is no generation."""
    return _clamped_ratio(balance.self_consumed_kwh, balance.load_kwh)


def renewable_share(balance: EnergyBalance, instrument_kwh: float = 0.0) -> dict[str, float | None]:
    """On-site share M / L, and the total share (M + certificates applied) / L capped at 100 % (RE100 style).

    ``instrument_kwh`` is renewable electricity backed by applied green certificates (GEC) or green-power
    contracts; the part that would push the share above 100 % is reported as surplus, not counted.
    """
    on_site = _clamped_ratio(balance.self_consumed_kwh, balance.load_kwh)
    total = _clamped_ratio(balance.self_consumed_kwh + instrument_kwh, balance.load_kwh)
    surplus = max(0.0, balance.self_consumed_kwh + instrument_kwh - balance.load_kwh)
    return {"on_site_share": on_site, "total_share": total, "instrument_surplus_kwh": surplus}


def avoided_emissions_kg(generation_kwh: float, factor_kgco2e_per_kwh: float) -> float:
    """Grid emissions displaced by on-site generation: ``G × EF_grid,location`` (kgCO2e).

    A displacement estimate reported beside, never inside, the inventory (GHG Protocol: offsets and avoided
    emissions do not reduce gross Scope 1/2). Uses the location-based grid average, not CDM OM/BM margins,
    whose 南方 values are unconfirmed (research/carbon.md §1.4).
    """
    return generation_kwh * factor_kgco2e_per_kwh
