"""From the site's physics frame to each device's point values, in the units its template declares.

Three kinds of output, all keyed by point id (``device.point``):
- instant values (arrays over the frame's rows),
- counter rates (point unit per hour; counters are their integral, see :mod:`simulators.counters`),
- nameplate strings and the points a device does not implement (served as SunSpec sentinels, never stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.site import Device, Site
from simulators import bacnet_values, gateway_values

SQRT3 = 3**0.5
LINE_V, PHASE_V = 400.0, 230.0


@dataclass
class DeviceValues:
    instant: dict[str, np.ndarray] = field(default_factory=dict)  # point name -> values
    rates: dict[str, np.ndarray] = field(default_factory=dict)  # counter point name -> unit per hour
    text: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # not implemented on this device


def _meter(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    column = f"grid_kw/{device.id}" if f"grid_kw/{device.id}" in frame else f"load_kw/{device.id}"
    p = frame[column].to_numpy() if column in frame else np.zeros(len(frame))
    pf = 0.93 + 0.04 * frame["occupancy"].to_numpy()
    v = PHASE_V + 2.0 * np.sin(np.arange(len(frame)) / 37.0)
    values = {
        "v_avg": v,
        "i_avg": np.abs(p) * 1000.0 / (3 * v * pf),
        "p_kw": p,
        "q_kvar": np.abs(p) * np.tan(np.arccos(pf)),
        "pf": pf,
        "hz": 50.0 + 0.02 * np.sin(np.arange(len(frame)) / 11.0),
    }
    return DeviceValues(instant=values, rates={"import_kwh": np.maximum(p, 0.0), "export_kwh": np.maximum(-p, 0.0)})


def _inverter(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    ac_w = frame[f"pv_ac_kw/{device.id}"].to_numpy() * 1000.0
    dc_w = frame[f"pv_dc_kw/{device.id}"].to_numpy() * 1000.0
    rated_w = (device.rated_kw or 100.0) * 1000.0
    load = ac_w / rated_w
    pf_pct = np.where(ac_w > 0, 99.0, 100.0)
    amps = ac_w / (SQRT3 * LINE_V * pf_pct / 100.0)
    dc_v = np.where(dc_w > 0, 580.0 + 60.0 * (1 - load), 0.0)
    air = frame["outdoor_temp_c"].to_numpy()
    values = {
        "A": amps, "AphA": amps * 1.01, "AphB": amps * 0.99, "AphC": amps,
        "PPVphAB": np.full(len(frame), LINE_V), "PPVphBC": np.full(len(frame), LINE_V + 1.0),
        "PPVphCA": np.full(len(frame), LINE_V - 1.0),
        "PhVphA": np.full(len(frame), PHASE_V), "PhVphB": np.full(len(frame), PHASE_V + 0.5),
        "PhVphC": np.full(len(frame), PHASE_V - 0.5),
        "W": ac_w, "Hz": np.full(len(frame), 50.0), "VA": ac_w / (pf_pct / 100.0),
        "VAr": ac_w * np.tan(np.arccos(pf_pct / 100.0)), "PF": pf_pct,
        "DCA": np.divide(dc_w, dc_v, out=np.zeros_like(dc_w), where=dc_v > 0), "DCV": dc_v, "DCW": dc_w,
        "TmpCab": air + 5.0 + 10.0 * load, "TmpSnk": air + 3.0 + 25.0 * load,
        "St": np.where(ac_w <= 0, 2.0, np.where(ac_w >= rated_w * 0.999, 5.0, 4.0)),  # SLEEPING/THROTTLED/MPPT
        "Evt1": np.zeros(len(frame)), "Evt2": np.zeros(len(frame)),
    }
    number = int("".join(ch for ch in device.id if ch.isdigit()) or 0)
    # A second vendor batch (site.yaml `simulate: {batch: b}`) does not report phase C current: SunSpec
    # 'not implemented' 0xFFFF.
    missing = {"TmpTrns", "TmpOt", "StVnd", "EvtVnd1", "EvtVnd2", "EvtVnd3", "EvtVnd4"}
    if device.simulate.get("batch") == "b":
        missing.add("AphC")
    text = {"Mn": "ZeroCarbon Sim", "Md": "ZC-100K-3P", "Opt": "MPPTx4", "Vr": "1.2.0", "SN": f"ZCS{number:06d}"}
    values["DA"] = np.full(len(frame), 1.0)
    return DeviceValues(instant=values, rates={"WH": ac_w}, text=text, missing=missing)


def _weather_station(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    array = next((a for a in site.energy_systems.pv if a.weather_station == device.id), site.energy_systems.pv[0])
    values = {
        "poa_wm2": frame[f"poa_wm2/{array.id}"].to_numpy(),
        "ghi_wm2": frame["ghi_wm2"].to_numpy(),
        "module_temp_c": frame[f"module_temp_c/{array.id}"].to_numpy(),
        "air_temp_c": frame["outdoor_temp_c"].to_numpy(),
        "wind_ms": frame["wind_ms"].to_numpy() * 0.6,  # mast on the roof, below hub height
        "humidity_pct": frame["humidity_pct"].to_numpy(),
    }
    return DeviceValues(instant=values)


def _wind_turbine(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    from simulators.wind import rotor_rpm

    p = frame[f"wind_kw/{device.id}"].to_numpy()
    v = frame[f"wind_ms/{device.id}"].to_numpy() if f"wind_ms/{device.id}" in frame else frame["wind_ms"].to_numpy()
    values = {"p_kw": p, "wind_ms": v, "rotor_rpm": rotor_rpm(v, p), "state": np.where(p > 0, 2.0, 0.0),
              "fault_code": np.zeros(len(frame))}
    return DeviceValues(instant=values, rates={"energy_kwh": p})


def _storage(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    from simulators.storage_dispatch import cell_temperatures_c

    p = frame[f"storage_kw/{device.id}"].to_numpy()
    hot, cold = cell_temperatures_c(frame["outdoor_temp_c"].to_numpy(), p, device.rated_kw or 500.0)
    values = {"p_kw": p, "soc_pct": frame[f"soc/{device.id}"].to_numpy() * 100.0, "cell_temp_max_c": hot,
              "cell_temp_min_c": cold, "state": np.where(p < 0, 1.0, np.where(p > 0, 2.0, 3.0)),
              "bms_alarms": np.zeros(len(frame))}
    return DeviceValues(instant=values, rates={"charge_kwh": np.maximum(-p, 0.0), "discharge_kwh": np.maximum(p, 0.0)})


BY_TEMPLATE: dict[str, Callable[[Device, pd.DataFrame, Site], DeviceValues]] = {
    "energy-meter": _meter,
    "sunspec-inverter": _inverter,
    "weather-station": _weather_station,
    "wind-turbine": _wind_turbine,
    "storage-pcs": _storage,
    **gateway_values.BY_TEMPLATE,
    **bacnet_values.BY_TEMPLATE,
}


def device_values(site: Site, device: Device, frame: pd.DataFrame) -> DeviceValues:
    """Values of one device over the frame; templates we have no model for read as quiet constants."""
    build = BY_TEMPLATE.get(device.template, gateway_values.generic)
    values = build(device, frame, site)
    for name in values.missing:  # a point the device lacks has no value, only its sentinel
        values.instant.pop(name, None)
    return values


def all_values(site: Site, frame: pd.DataFrame) -> dict[str, DeviceValues]:
    return {d.id: device_values(site, d, frame) for d in site.devices}
