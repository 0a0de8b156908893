"""A small, physically consistent site built by hand: hourly energy by role, daily weather and visitors.

Load follows cooling degree days and visitors, so a CDD + visitors baseline fits it; PV follows the sun; the
battery charges at noon from PV and discharges in the evening peak; import and export close the balance exactly.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from carbon.inputs import CarbonInputs, SiteFacts

TZ = "Asia/Shanghai"
SUBSYSTEMS = {"chiller_plant": ("Chiller plant", "冷站系统"), "lighting": ("Lighting control", "智能照明系统"),
              "ev_charging": ("EV charging", "充电桩系统"), "power_distribution": ("Power distribution", "供配电系统")}
FACTS = SiteFacts("test-site", "Test Site", "测试站点", TZ, pv_capacity_kwp=100.0, pv_gamma_pdc_per_c=-0.004,
                  wind_rated_kw=10.0, storage_capacity_kwh=100.0, subsystems=SUBSYSTEMS, config_hash="abc123")


def hourly_site(start: date, end: date, seed: int = 0, pv_kwp: float = 100.0, saving_from: date | None = None,
                saving: float = 0.0) -> CarbonInputs:
    """Hourly site data; from ``saving_from`` on, the chiller plant uses ``saving`` (a share) less energy."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(pd.Timestamp(start).tz_localize(TZ), pd.Timestamp(end).tz_localize(TZ), freq="h",
                          inclusive="left")
    days = pd.date_range(hours[0].normalize(), hours[-1].normalize(), freq="D")
    doy = days.day_of_year.to_numpy()
    temp_day = 23 + 6 * np.sin(2 * np.pi * (doy - 110) / 365) + rng.normal(0, 1.0, len(days))
    visitors_day = np.where(days.day_of_week < 5, 4000.0, 1500.0) + rng.normal(0, 100, len(days))
    daily = pd.DataFrame({"temperature_c": temp_day, "visitors": np.round(visitors_day)}, index=days)
    h = hours.hour.to_numpy()
    by_day = daily.reindex(hours.normalize())
    open_hours = ((h >= 8) & (h < 20)).astype(float)
    cdd = np.maximum(by_day["temperature_c"].to_numpy() - 18, 0)
    chiller = (20 + 8 * cdd) * open_hours + 5
    if saving_from is not None:
        chiller = chiller * np.where(hours >= pd.Timestamp(saving_from).tz_localize(TZ), 1 - saving, 1.0)
    lighting = 10 + by_day["visitors"].to_numpy() / 400 * open_hours
    ev = 4 * open_hours
    sun = np.clip(np.sin(np.pi * (h - 6) / 12), 0, None)
    poa = 900 * sun * (0.8 + 0.2 * rng.random(len(hours)))
    pv = pv_kwp * poa / 1000 * 0.82
    charge_kwh = 20.0 if pv_kwp > 0 else 0.0
    wind = np.full(len(hours), 2.0)
    charge = np.where(h == 12, charge_kwh, 0.0)
    discharge = np.where((h == 18) | (h == 19), 0.45 * charge_kwh, 0.0)  # evening peak, 90 % round trip
    load = chiller + lighting + ev
    net = load + charge - discharge - pv - wind
    imports, exports = np.maximum(net, 0), np.maximum(-net, 0)
    series = {("grid_import", "power_distribution"): imports, ("grid_export", "power_distribution"): exports,
              ("pv", "power_distribution"): pv, ("wind", "power_distribution"): wind,
              ("battery_charge", "power_distribution"): charge, ("battery_discharge", "power_distribution"): discharge,
              ("consumption", "chiller_plant"): chiller, ("consumption", "lighting"): lighting,
              ("ev_charging", "ev_charging"): ev}
    frames = [pd.DataFrame({"start": hours, "role": role, "subsystem": sub, "energy_kwh": values,
                            "quality": "measured"}) for (role, sub), values in series.items()]
    energy = pd.concat(frames, ignore_index=True)
    daily["cooling_kwh_th"] = pd.Series(chiller * 4.5, index=hours).groupby(hours.normalize()).sum()
    weather = pd.DataFrame({"poa_w_per_m2": poa, "module_temperature_c": 25 + poa / 40,
                            "outdoor_temperature_c": by_day["temperature_c"].to_numpy()}, index=hours)
    return CarbonInputs(FACTS, start, end, energy, daily, weather)
