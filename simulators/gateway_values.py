"""Point values of the IoT-gateway subsystems (MQTT JSON): chiller plant, lighting, lifts, EV, parking, ..."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.site import Device, Site
from models.vocabulary import PointKind

if TYPE_CHECKING:
    from simulators.device_values import DeviceValues

CHILLER_KW_TH = 4200.0  # one centrifugal chiller, ~1200 RT


def _values(instant: dict[str, np.ndarray], rates: dict[str, np.ndarray] | None = None) -> DeviceValues:
    from simulators.device_values import DeviceValues

    return DeviceValues(instant=instant, rates=rates or {})


def subsystem_load_kw(site: Site, device: Device, frame: pd.DataFrame) -> np.ndarray:
    """The load of the sub-meter that measures this gateway's subsystem (zeros when none)."""
    for d in site.devices:
        if d.subsystem == device.subsystem and "base_kw" in d.simulate and f"load_kw/{d.id}" in frame:
            return frame[f"load_kw/{d.id}"].to_numpy()
    return np.zeros(len(frame))


def _chiller(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    electric = subsystem_load_kw(site, device, frame) * 0.92  # pumps and towers are on their own feeders
    air = frame["outdoor_temp_c"].to_numpy()
    cop = np.clip(5.6 - 0.06 * (air - 25.0), 4.0, 6.5)
    cooling = electric * cop
    return _values({
        "electric_kw": electric, "cooling_kw": cooling, "chw_supply_c": np.full(len(frame), 7.0),
        "chw_return_c": 7.0 + 5.0 * np.clip(cooling / (2 * CHILLER_KW_TH), 0, 1),
        "chillers_running": np.ceil(cooling / CHILLER_KW_TH), "outdoor_temp_c": air,
    })


def _building_system(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    total = 40.0 + (sum(map(ord, device.id)) % 17) * 20.0  # a stable fleet size per gateway
    return _values({
        "power_kw": subsystem_load_kw(site, device, frame) * 0.9,
        "devices_online": np.full(len(frame), total - 1.0), "devices_total": np.full(len(frame), total),
        "active_alarms": np.zeros(len(frame)),
    })


def _lighting(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    power = subsystem_load_kw(site, device, frame) * 0.95
    return _values({"power_kw": power, "circuits_on": np.round(power / 0.6),
                    "daylight_dimming_pct": 40.0 * frame["daylight"].to_numpy()})


def _elevators(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    running = np.round(4 + 44 * frame["occupancy"].to_numpy())
    return _values({"power_kw": subsystem_load_kw(site, device, frame), "cars_running": running,
                    "cars_fault": np.zeros(len(frame))}, {"trips": running * 12.0})


def _ev(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    """The platform's totals are sums over the simulated sessions (simulators/ev_sessions.py)."""
    if "ev_power_kw" not in frame:
        zeros = np.zeros(len(frame))
        return _values({"power_kw": zeros, "chargers_active": zeros, "chargers_fault": zeros},
                       {"energy_kwh": zeros, "sessions": zeros})
    power = frame["ev_power_kw"].to_numpy()
    return _values({"power_kw": power, "chargers_active": frame["ev_plugged"].to_numpy(),
                    "chargers_fault": np.full(len(frame), 3.0)},
                   {"energy_kwh": power, "sessions": frame["ev_arrivals_per_h"].to_numpy()})


def _parking(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    spaces = float(device.simulate.get("spaces", 2846))
    occupied = np.round(spaces * (0.08 + 0.82 * frame["occupancy"].to_numpy()))
    return _values({"occupied": occupied, "free": spaces - occupied})


def _indoor(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    occ = frame["occupancy"].to_numpy()
    cooling = frame["cooling"].to_numpy()
    it_room = "it" in device.id
    return _values({
        "temp_c": np.full(len(frame), 22.0) if it_room else 24.0 + 2.0 * cooling * (1 - occ) + 0.5 * occ,
        "rh_pct": np.full(len(frame), 45.0) if it_room else 50.0 + 12.0 * cooling * (1 - occ),
        "co2_ppm": np.full(len(frame), 450.0) if it_room else 420.0 + 580.0 * occ,
        "pm25_ugm3": 8.0 + 6.0 * occ,
    })


def _queue(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    return _values({"tickets_today": frame["tickets_today"].to_numpy(), "waiting": frame["waiting"].to_numpy(),
                    "visitors_in_building": frame["present"].to_numpy()})


def _street_lights(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    dark = frame["dark"].to_numpy()
    generation = 0.02 * frame["ghi_wm2"].to_numpy() + 0.3 * frame["wind_ms"].to_numpy()
    return _values({"lamps_on": np.round(318 * dark), "lamps_fault": np.full(len(frame), 2.0),
                    "generation_kw": generation, "battery_soc_pct": 60.0 + 30.0 * frame["daylight"].to_numpy()})


def generic(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    """A template without a model here: power follows its subsystem, other points hold a quiet constant."""
    template = site.template_of(device)
    load = subsystem_load_kw(site, device, frame)
    instant, rates = {}, {}
    for p in template.points:
        if p.kind is PointKind.POWER:
            instant[p.name] = load
        elif p.kind in (PointKind.ENERGY_COUNTER, PointKind.COUNTER):
            rates[p.name] = load
        elif p.kind is not PointKind.TEXT:
            instant[p.name] = np.full(len(frame), 1.0)
    return _values(instant, rates)


BY_TEMPLATE: dict[str, Callable[[Device, pd.DataFrame, Site], DeviceValues]] = {
    "chiller-plant": _chiller,
    "building-system": _building_system,
    "lighting-gateway": _lighting,
    "elevator-gateway": _elevators,
    "ev-charging": _ev,
    "parking-guidance": _parking,
    "indoor-environment": _indoor,
    "visitor-queue": _queue,
    "street-lights": _street_lights,
}
