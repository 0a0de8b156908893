"""Rooftop PV: Zhuhai sun geometry and clear-sky irradiance (pvlib, offline), clouds, and per-inverter AC power.

Follows pvlib's PVWatts chain in small steps: Ineichen clear sky (Linke turbidity from pvlib's bundled table),
plane-of-array transposition, SAPM cell temperature, PVWatts DC with the array's temperature coefficient, then
a flat inverter efficiency clipped at the inverter's rating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from models.site import Site

SYSTEM_LOSSES = 0.10  # soiling, wiring, mismatch (PVWatts uses ~14% with availability and ageing)
INVERTER_EFFICIENCY = 0.975
SLEEP_BELOW_KW = 0.3  # inverters stay in SLEEPING until the array gives this much DC
# SAPM open-rack glass/polymer coefficients (pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS)
SAPM_A, SAPM_B, SAPM_DELTA_T = -3.56, -0.075, 3.0


def sun_and_sky(site: Site, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Solar zenith/azimuth and clear-sky GHI/DNI/DHI (W/m2) at ``index``."""
    info = site.info
    location = pvlib.location.Location(info.latitude, info.longitude, tz=info.timezone, altitude=info.altitude_m)
    position = pvlib.solarposition.get_solarposition(index, info.latitude, info.longitude, info.altitude_m)
    clear = location.get_clearsky(index, model="ineichen", solar_position=position)
    return pd.DataFrame(
        {
            "zenith": position["apparent_zenith"].to_numpy(),
            "azimuth": position["azimuth"].to_numpy(),
            "ghi_clear": clear["ghi"].to_numpy(),
            "dni_clear": clear["dni"].to_numpy(),
            "dhi_clear": clear["dhi"].to_numpy(),
        },
        index=index,
    )


def plane_of_array(sky: pd.DataFrame, tilt_deg: float, azimuth_deg: float, cloud: np.ndarray) -> np.ndarray:
    """Irradiance on a tilted plane under clouds, W/m2: beam dims with clouds squared, diffuse less."""
    poa = pvlib.irradiance.get_total_irradiance(
        tilt_deg,
        azimuth_deg,
        sky["zenith"],
        sky["azimuth"],
        sky["dni_clear"] * cloud**2,
        sky["ghi_clear"] * cloud,
        sky["dhi_clear"] * np.clip(0.6 + 0.4 * cloud, 0, 1.2),
    )
    return np.nan_to_num(poa["poa_global"].to_numpy(), nan=0.0).clip(min=0.0)


def cell_temperature_c(poa_wm2: np.ndarray, air_temp_c: np.ndarray, wind_ms: np.ndarray) -> np.ndarray:
    return np.asarray(pvlib.temperature.sapm_cell(poa_wm2, air_temp_c, wind_ms, SAPM_A, SAPM_B, SAPM_DELTA_T))


def inverter_ac_kw(
    poa_wm2: np.ndarray, cell_temp_c: np.ndarray, capacity_kwp: float, rated_kw: float, gamma_per_c: float
) -> tuple[np.ndarray, np.ndarray]:
    """(DC kW, AC kW) of one inverter's strings: PVWatts DC, flat efficiency, clipped at the rating."""
    dc = capacity_kwp * poa_wm2 / 1000.0 * (1.0 + gamma_per_c * (cell_temp_c - 25.0)) * (1.0 - SYSTEM_LOSSES)
    dc = np.where(dc < SLEEP_BELOW_KW, 0.0, dc)
    return dc, np.minimum(dc * INVERTER_EFFICIENCY, rated_kw)

