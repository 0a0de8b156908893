"""Small wind turbines: hub wind speed through the turbine's power curve."""

from __future__ import annotations

import numpy as np

from models.site import WindTurbine

HUB_REFERENCE_M = 24.0  # the site wind (weather.hub_wind_speed_ms) is at this height
SHEAR_EXPONENT = 0.2  # power-law wind shear over a built-up coast


def turbine_wind_ms(site_wind_ms: np.ndarray, turbine: WindTurbine, own_noise: np.ndarray) -> np.ndarray:
    """The wind one turbine sees: the site wind at its hub height (power-law shear) with its own gusts."""
    shear = (turbine.hub_height_m / HUB_REFERENCE_M) ** SHEAR_EXPONENT
    return np.maximum(np.asarray(site_wind_ms) * shear * np.exp(0.1 * own_noise), 0.0)


def power_curve_kw(wind_ms: np.ndarray, turbine: WindTurbine) -> np.ndarray:
    """Electrical output, kW: cubic between cut-in and rated speed, flat to cut-out, zero beyond (storm stop)."""
    v = np.asarray(wind_ms, dtype=float)
    ramp = (v**3 - turbine.cut_in_ms**3) / (turbine.rated_speed_ms**3 - turbine.cut_in_ms**3)
    power = turbine.rated_kw * np.clip(ramp, 0.0, 1.0)
    return np.where((v < turbine.cut_in_ms) | (v >= turbine.cut_out_ms), 0.0, power)


def rotor_rpm(wind_ms: np.ndarray, power_kw: np.ndarray) -> np.ndarray:
    """Rotor speed of a 50 kW class turbine: about 60 rpm at rated wind, idle-spinning below cut-in."""
    return np.where(power_kw > 0, np.clip(wind_ms * 5.5, 20.0, 65.0), np.clip(wind_ms * 2.0, 0.0, 6.0))
