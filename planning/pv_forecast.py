"""Day-ahead PV per inverter with pvlib, from a weather forecast or, without one, clear sky × recent clearness.

With a forecast (global horizontal irradiance and air temperature per instant), each inverter's power follows
pvlib's PVWatts chain: solar position, Erbs decomposition of GHI into beam and diffuse, Perez-free isotropic
transposition onto the array's plane, SAPM cell temperature, ``pvwatts_dc`` with the array's temperature
coefficient, clipped at the inverter's rating. A per-inverter calibration, Σ measured / Σ modelled over the
last ``calibration_days`` days *of archived forecasts*, takes out both the strings' real state (soiling, mismatch,
a dead string) and the forecast's own bias (model output statistics in its simplest form).

Without a forecast, the same chain runs on Ineichen clear-sky irradiance and is scaled per inverter by the
recent clearness: Σ measured / Σ clear-sky-modelled, each day weighted by half every ``clearness_days`` days back
(an exponentially weighted ratio). A day's clearness alone is a poor guess of the next one; a week-long half-life
keeps a spell of weather while averaging out single days (backtest in docs/methodology.md §11: skill against the
same day last week 0.167 with the last 3 days unweighted, 0.218 with a 7-day half-life).

One function, :func:`daily_ratio`, gives both the calibration and the clearness, for the plan (its last day)
and the backtest (every day), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

from models.site import Site

SAPM = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_polymer"]
WIND_MS = 1.0  # forecast feeds rarely carry roof-level wind; SAPM is weakly sensitive to it


@dataclass(frozen=True)
class Inverter:
    id: str
    kwp: float
    rated_kw: float
    tilt_deg: float
    azimuth_deg: float
    gamma_pdc_per_c: float


def inverters_of(site: Site) -> list[Inverter]:
    """Every PV inverter with its share of its array's capacity and the array's plane."""
    out = []
    for array in site.energy_systems.pv:
        for inverter_id in array.inverters:
            device = site.device(inverter_id)
            kwp = float(device.simulate.get("capacity_kwp", array.capacity_kwp / len(array.inverters)))
            out.append(Inverter(inverter_id, kwp, float(device.rated_kw or kwp), array.tilt_deg, array.azimuth_deg,
                                array.gamma_pdc_per_c))
    return out


def _location(site: Site) -> pvlib.location.Location:
    info = site.info
    return pvlib.location.Location(info.latitude, info.longitude, tz=info.timezone, altitude=info.altitude_m)


def clear_sky_ghi(site: Site, index: pd.DatetimeIndex) -> pd.Series:
    """Ineichen clear-sky GHI (W/m²) at ``index`` (Linke turbidity from pvlib's bundled climatology)."""
    return _location(site).get_clearsky(index, model="ineichen")["ghi"]


def modelled_kw(site: Site, inverters: list[Inverter], index: pd.DatetimeIndex, ghi_wm2: np.ndarray,
                temp_air_c: np.ndarray) -> pd.DataFrame:
    """AC kW of each inverter (columns) for given GHI and air temperature, before calibration."""
    position = _location(site).get_solarposition(index)
    zenith, azimuth = position["apparent_zenith"], position["azimuth"]
    ghi = pd.Series(np.clip(np.asarray(ghi_wm2, dtype=float), 0, None), index=index)
    parts = pvlib.irradiance.erbs(ghi, zenith, index)
    cols = {}
    for plane in {(i.tilt_deg, i.azimuth_deg) for i in inverters}:
        poa = pvlib.irradiance.get_total_irradiance(plane[0], plane[1], zenith, azimuth, parts["dni"], ghi,
                                                    parts["dhi"])["poa_global"].fillna(0.0).clip(lower=0.0)
        cell = pvlib.temperature.sapm_cell(poa, temp_air_c, WIND_MS, **SAPM)
        for inv in (i for i in inverters if (i.tilt_deg, i.azimuth_deg) == plane):
            dc = pvlib.pvsystem.pvwatts_dc(poa, cell, inv.kwp, inv.gamma_pdc_per_c)
            cols[inv.id] = np.minimum(np.asarray(dc, dtype=float), inv.rated_kw)
    return pd.DataFrame({i.id: cols[i.id] for i in inverters}, index=index)


def daily_ratio(measured: pd.DataFrame, modelled: pd.DataFrame, days: float, weighted: bool) -> pd.DataFrame:
    """Per local day (rows) and inverter (columns), Σ measured / Σ modelled over the days up to and including it:
    the last ``days`` days, or (``weighted``) every day weighted by 0.5 per ``days`` days back. Instants without
    a measurement count on neither side; 1 where the model saw no sun; clipped to [0.05, 1.5]."""
    day = measured.index.tz_localize(None).normalize()
    m = measured.groupby(day).sum(min_count=1)
    p = modelled.reindex(measured.index).where(measured.notna()).groupby(day).sum(min_count=1)
    if weighted:
        span = {"halflife": pd.Timedelta(days=days), "times": m.index}
        num, den = m.ewm(**span, ignore_na=True).mean(), p.ewm(**span, ignore_na=True).mean()
    else:
        num, den = m.rolling(f"{int(days)}D", min_periods=1).sum(), p.rolling(f"{int(days)}D", min_periods=1).sum()
    return (num / den.where(den > 0)).fillna(1.0).clip(0.05, 1.5)


def forecast_pv(site: Site, inverters: list[Inverter], day_index: pd.DatetimeIndex, history: pd.DataFrame,
                weather: pd.DataFrame | None, calibration_days: int = 14, clearness_days: float = 7) -> pd.DataFrame:
    """AC kW per inverter for ``day_index`` (tomorrow's instants).

    ``history``: past instants with ``pv_kw/<inverter>`` measured columns (and, with a forecast, the archived
    ``ghi_wm2``/``temp_c`` forecasts for them). ``weather``: tomorrow's ``ghi_wm2`` and ``temp_c``, or None."""
    measured = history[[f"pv_kw/{i.id}" for i in inverters]].rename(columns=lambda c: c.split("/", 1)[1])
    # the calibration's days, or eight half-lives of clearness (older days weigh < 1/256 together)
    reach = pd.Timedelta(days=calibration_days if weather is not None else 8 * clearness_days)
    before = (history.index < day_index[0]) & (history.index >= day_index[0] - reach)
    measured, past = measured.loc[before], history.loc[before]
    if weather is not None:
        model_past = modelled_kw(site, inverters, past.index, past["ghi_wm2"].to_numpy(), past["temp_c"].to_numpy())
        scale = _last(daily_ratio(measured, model_past, calibration_days, weighted=False), day_index, inverters)
        ahead = modelled_kw(site, inverters, day_index, weather["ghi_wm2"].to_numpy(), weather["temp_c"].to_numpy())
        return ahead * scale
    clear_past = clear_sky_kw(site, inverters, past.index)
    scale = _last(daily_ratio(measured, clear_past, clearness_days, weighted=True), day_index, inverters)
    return clear_sky_kw(site, inverters, day_index) * scale


def clear_sky_kw(site: Site, inverters: list[Inverter], index: pd.DatetimeIndex) -> pd.DataFrame:
    """Each inverter's AC kW under Ineichen clear sky (cells at a nominal 25 °C air temperature)."""
    return modelled_kw(site, inverters, index, clear_sky_ghi(site, index).to_numpy(), np.full(len(index), 25.0))


def _last(ratios: pd.DataFrame, day_index: pd.DatetimeIndex, inverters: list[Inverter]) -> pd.Series:
    """The ratio known on the eve (the latest day before ``day_index``); 1 without history."""
    eve = day_index[0].tz_localize(None).normalize()
    known = ratios.loc[ratios.index < eve]
    return known.iloc[-1] if len(known) else pd.Series(1.0, index=[i.id for i in inverters])
