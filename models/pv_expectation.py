"""The one PV expectation model: what a PV array should give for the sun on its panels and their temperature.

Used by ``carbon`` (performance ratios in reports and on the console) and by ``alerts`` (the underperformance
alarm), so the console's PR and the alarm never disagree on what "expected" means. Pure numpy, no I/O.

PVWatts v5 DC model (Dobos, NREL/TP-6A20-62641, 2014, eq. 1; ``pvlib.pvsystem.pvwatts_dc`` gives the same
numbers): ``P = P0 × G_POA / G_ref × (1 + γ × (T − T_ref))``. Which temperature ``T`` and which reference
``T_ref`` is the difference between the two corrected performance ratios:

* IEC 61724-1:2017 temperature-corrected PR: ``T`` = the measured module (back-of-module) temperature,
  ``T_ref`` = 25 °C (STC);
* NREL weather-corrected PR (Dierauf et al., NREL/TP-5200-57991, 2013, DOI 10.2172/1078057, eq. 2): ``T`` = the
  cell temperature, ``T_ref`` = the mean cell temperature of the period's sunlit intervals (NREL takes it from a
  year of the project's weather file; the irradiance-weighted mean of NREL's eq. 5 over the same intervals
  would cancel the correction exactly, Σ G (T − T̄_G) = 0, and give back the uncorrected PR).

The cell temperature comes from the module temperature by the Sandia relation (King et al., SAND2004-3535,
eq. 12; ``pvlib.temperature.sapm_cell_from_module``): ``T_cell = T_module + G_POA / 1000 × ΔT``, ΔT = 3 °C for
an open-rack glass/cell/polymer-sheet module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

G_REF_W_PER_M2 = 1000.0  # IEC 61724-1 reference irradiance
T_STC_C = 25.0  # STC cell temperature, the IEC 61724-1 reference
SAPM_DELTA_T_C = 3.0  # King et al. 2004 Table 2, open rack glass/cell/polymer sheet


def cell_temperature_c(module_temperature_c: pd.Series, poa_w_per_m2: pd.Series,
                       delta_t_c: float = SAPM_DELTA_T_C) -> pd.Series:
    """Cell temperature from the back-of-module temperature, ``T_m + G / 1000 × ΔT`` (SAPM, King 2004 eq. 12)."""
    return module_temperature_c + poa_w_per_m2 / G_REF_W_PER_M2 * delta_t_c


def expected_dc_kw(poa_w_per_m2: pd.Series | float, temperature_c: pd.Series | float, capacity_kwp: float,
                   gamma_pdc_per_c: float, t_ref_c: float = T_STC_C) -> pd.Series | float:
    """Expected DC power in kW: ``P0 × G / 1000 × (1 + γ (T − T_ref))`` (PVWatts v5, Dobos 2014 eq. 1).

    ``temperature_c`` is module temperature for the IEC 61724-1 correction, cell temperature for NREL's;
    ``gamma_pdc_per_c`` is negative (e.g. −0.004 /°C). Night (G = 0) gives 0, never a negative power.
    """
    g = np.clip(poa_w_per_m2, 0.0, None)
    return capacity_kwp * g / G_REF_W_PER_M2 * (1.0 + gamma_pdc_per_c * (temperature_c - t_ref_c))


def expected_ac_w(poa_w_per_m2: float, module_temperature_c: float, pdc0_w: float, gamma_pdc_per_c: float,
                  inverter_efficiency: float) -> float:
    """Expected AC power of one inverter now, in W: the IEC 61724-1 expectation (module temperature, 25 °C)
    times a nominal inverter efficiency, the same expectation the console's temperature-corrected PR uses."""
    dc_kw = expected_dc_kw(poa_w_per_m2, module_temperature_c, pdc0_w / 1000.0, gamma_pdc_per_c)
    return float(dc_kw) * 1000.0 * inverter_efficiency


def sunlit_mean(values: pd.Series, poa_w_per_m2: pd.Series) -> float | None:
    """Mean of ``values`` over the intervals with sun (G > 0): the NREL reference cell temperature of a period
    (None without sun)."""
    sunlit = values[poa_w_per_m2 > 0]
    return float(sunlit.mean()) if len(sunlit) else None
