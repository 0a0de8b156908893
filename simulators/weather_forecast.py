"""A simulated day-ahead weather service: what a forecast issued the day before would have said.

The simulated truth comes from :mod:`simulators.weather`; the forecast keeps its slow part and misses the rest,
with errors typical of a numerical weather forecast one day ahead (assumed, not measured here):

* irradiance: the day's clearness (Σ GHI / Σ clear-sky GHI) with an error of σ = 0.12, and no passing clouds;
* air temperature: the hourly mean with a day-level bias of σ = 1.2 °C.

Reproducible per (seed, day), like every simulated quantity. :func:`day_ahead_payload` and :func:`publish` put
a day's forecast on the weather feed's MQTT topic (``zerocarbon forecast --publish-simulated``).
"""

from __future__ import annotations

import json
import time

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd

from models.site import MqttBroker, Site
from simulators import solar
from simulators.weather import cloud_factor, day_draws, local_days_and_minutes, outdoor_temperature_c

CLEARNESS_ERROR = 0.12
TEMPERATURE_BIAS_C = 1.2


def _normal(seed: int, stream: str, days: np.ndarray) -> np.ndarray:
    u = day_draws(seed, stream, days, size=2)  # Box-Muller from two uniform draws per day
    return np.sqrt(-2.0 * np.log1p(-u[:, 0] * 0.999999)) * np.cos(2 * np.pi * u[:, 1])


def issued_forecast(site: Site, truth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``ghi_wm2`` and ``temp_c`` as forecast the day before, for the instants of ``truth`` (a ``site_frame``)."""
    index = pd.DatetimeIndex(truth.index)
    day, _, _ = local_days_and_minutes(index, site.info.timezone)
    unique_days, position = np.unique(day, return_inverse=True)
    clear = solar.sun_and_sky(site, index)["ghi_clear"].to_numpy()
    ghi = truth["ghi_wm2"].to_numpy()
    clear_sum = np.bincount(position, weights=clear)
    clearness = np.bincount(position, weights=ghi) / np.where(clear_sum > 0, clear_sum, 1.0)
    guess = np.clip(clearness + CLEARNESS_ERROR * _normal(seed, "forecast-clearness", unique_days), 0.05, 1.0)
    hourly = truth["outdoor_temp_c"].groupby(index.floor("h")).transform("mean").to_numpy()
    bias = TEMPERATURE_BIAS_C * _normal(seed, "forecast-temp", unique_days)
    return pd.DataFrame({"ghi_wm2": clear * guess[position], "temp_c": hourly + bias[position]}, index=index)


def day_ahead_payload(site: Site, day: str, seed: int = 0, source: str = "zerocarbon simulator") -> bytes:
    """The forecast of local ``day`` (YYYY-MM-DD) at 15 minutes, issued at 18:00 the evening before, as the
    weather feed's JSON payload (``collectors.weather_feed``)."""
    tz = site.info.timezone
    start = pd.Timestamp(day).tz_localize(tz)
    index = pd.date_range(start, start + pd.Timedelta(days=1), freq="15min", inclusive="left")
    truth = pd.DataFrame({"ghi_wm2": solar.sun_and_sky(site, index)["ghi_clear"].to_numpy()
                          * cloud_factor(index, tz, seed),
                          "outdoor_temp_c": outdoor_temperature_c(index, tz, seed)}, index=index)
    forecast = issued_forecast(site, truth, seed)
    body = {"issued": (start - pd.Timedelta(hours=6)).isoformat(), "source": f"{source} (seed {seed})",
            "start": start.isoformat(), "step_minutes": 15,
            "ghi_wm2": [round(float(v), 1) for v in forecast["ghi_wm2"]],
            "temp_c": [round(float(v), 2) for v in forecast["temp_c"]]}
    return json.dumps(body).encode()


def publish(broker: MqttBroker, topic: str, payload: bytes, port: int | None = None, timeout_s: float = 10.0) -> None:
    """Publish one forecast retained at QoS 1 (a listener that starts later still gets the latest)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"zc-sim-forecast-{time.monotonic_ns()}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(ca_certs=broker.ca_file)
    client.connect(broker.host, port or broker.port)
    client.loop_start()
    try:
        client.publish(topic, payload, qos=1, retain=True).wait_for_publish(timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
