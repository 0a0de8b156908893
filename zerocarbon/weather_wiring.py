"""Wiring of the weather-forecast feed: the MQTT listener (``collectors.weather_feed``) keeps each good forecast
in the data dir (``storage.weather_forecasts``), the plan reads the latest one that spans its day, and the
simulated weather service publishes one (``simulators.weather_forecast``).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pandas as pd

from collectors.weather_feed import WeatherFeed
from models.site import MqttBroker, Site
from models.weather_forecast import WeatherForecast
from storage.weather_forecasts import FORECASTS_DIR, ForecastArchive
from zerocarbon.settings import Settings

log = logging.getLogger(__name__)
DEAD_LETTERS = "weather_forecast_dead_letters.jsonl"


def archive(settings: Settings) -> ForecastArchive:
    return ForecastArchive(Path(settings.data_dir) / FORECASTS_DIR)


def broker(settings: Settings, site: Site) -> MqttBroker:
    """The site file's broker with the ``ZEROCARBON_MQTT_*`` overrides, as the collectors take it."""
    update = {"host": settings.mqtt_host, "port": settings.mqtt_port, "username": settings.mqtt_username,
              "password": settings.mqtt_password}
    return site.mqtt.model_copy(update={k: v for k, v in update.items() if v is not None})


def feed(settings: Settings, site: Site, topic: str) -> WeatherFeed:
    """The listener, keeping forecasts in the data dir and dead letters beside them."""
    return WeatherFeed(broker(settings, site), topic, archive(settings).keep, Path(settings.data_dir) / DEAD_LETTERS)


def listen(settings: Settings, site: Site, topic: str, stop: threading.Event) -> WeatherFeed:
    """Run the feed until ``stop`` is set (the CLI sets it on Ctrl-C / SIGTERM)."""
    listener = feed(settings, site, topic)
    listener.start()
    try:
        stop.wait()
    finally:
        listener.stop()
    return listener


def latest_forecast(settings: Settings, site: Site, day: pd.Timestamp) -> WeatherForecast | None:
    """The latest kept forecast spanning local ``day``, or None (the plan then uses clear sky)."""
    start = pd.Timestamp(day).tz_localize(site.info.timezone) if pd.Timestamp(day).tz is None else pd.Timestamp(day)
    found = archive(settings).latest_for(start, start + pd.Timedelta(days=1))
    if found is not None:
        log.info("plan of %s: weather forecast issued %s by %s", day, found.issued, found.source)
    return found


def publish_simulated(settings: Settings, site: Site, topic: str, day: str, seed: int) -> bytes:
    """Publish the simulator's day-ahead forecast of ``day`` on ``topic`` (retained); returns the payload."""
    from simulators.weather_forecast import day_ahead_payload, publish

    payload = day_ahead_payload(site, day, seed)
    publish(broker(settings, site), topic, payload)
    return payload
