"""Point values of the BACnet controllers (chillers, AHUs, lighting floors), from the site's physics frame.

Each controller's power is its share of the sub-meter of its subsystem, so the BACnet view and the metered
energy tell one story; temperatures, states and modes follow occupancy, daylight and the outdoor air.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.site import Device, Site
from simulators.gateway_values import CHILLER_KW_TH, subsystem_load_kw

if TYPE_CHECKING:
    from simulators.device_values import DeviceValues


def _share(site: Site, device: Device, frame: pd.DataFrame) -> np.ndarray:
    """This controller's part of its subsystem's metered load (equal parts among controllers of its template)."""
    peers = [d for d in site.devices if d.subsystem == device.subsystem and d.template == device.template]
    return subsystem_load_kw(site, device, frame) / max(len(peers), 1)


def _values(instant: dict[str, np.ndarray]) -> DeviceValues:
    from simulators.device_values import DeviceValues

    return DeviceValues(instant=instant)


def _chiller(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    electric = _share(site, device, frame) * 0.92  # pumps and towers are on their own feeders
    air = frame["outdoor_temp_c"].to_numpy()
    cooling = electric * np.clip(5.6 - 0.06 * (air - 25.0), 4.0, 6.5)
    running = electric > 5.0
    return _values({
        "chw_supply_c": np.full(len(frame), 7.0), "chw_return_c": 7.0 + 5.0 * np.clip(cooling / CHILLER_KW_TH, 0, 1),
        "cw_supply_c": 29.0 + 0.3 * (air - 30.0), "electric_kw": electric, "cooling_kw": cooling,
        "load_pct": np.clip(100.0 * cooling / CHILLER_KW_TH, 0, 100), "running": running.astype(float),
        "alarm": np.zeros(len(frame)), "mode": np.where(running, 2.0, 3.0),
    })


def _ahu(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    occupancy = frame["occupancy"].to_numpy()
    fan = _share(site, device, frame) * 0.9
    on = occupancy > 0.05
    return _values({
        "supply_air_c": 14.0 + 2.0 * (1.0 - occupancy), "return_air_c": 24.0 + 1.5 * occupancy,
        "return_co2_ppm": 420.0 + 500.0 * occupancy, "fan_kw": fan,
        "fan_speed_pct": np.where(on, 40.0 + 55.0 * occupancy, 0.0), "fan_running": on.astype(float),
        "filter_alarm": np.zeros(len(frame)), "mode": np.where(on, 2.0, 3.0),
    })


def _lighting(device: Device, frame: pd.DataFrame, site: Site) -> DeviceValues:
    occupancy = frame["occupancy"].to_numpy()
    power = _share(site, device, frame) * 0.95
    return _values({
        "power_kw": power, "dimming_pct": 40.0 * frame["daylight"].to_numpy(), "lux": 300.0 + 200.0 * occupancy,
        "zones_on": np.round(power / 0.6), "occupied": (occupancy > 0.1).astype(float),
        "scene": np.where(occupancy > 0.1, 2.0, 4.0),
    })


BY_TEMPLATE: dict[str, Callable[[Device, pd.DataFrame, Site], DeviceValues]] = {
    "bacnet-chiller": _chiller,
    "bacnet-ahu": _ahu,
    "bacnet-lighting": _lighting,
}
