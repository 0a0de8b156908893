"""The plan's scheduled work in the long-running services (``zerocarbon run``, the demo, and
``zerocarbon dashboard``, which the compose stack runs instead of ``run``): fit tomorrow's load models ahead of
the first Plan view, and keep the operators' weather-forecast feed.

* **Fit ahead.** The day's load models (``planning.tomorrow.fit_ahead``, 5.9-16.5 s for the 17 sub-meters on a
  year) are fitted 30 s after start-up and every day at 00:30 site time (once the day before's rollups are in),
  for tomorrow, in a background thread, and kept in ``<data_dir>/forecast_models/``: a restart finds them there and
  does not refit, and the console's first Plan view only predicts. With several instances on one data dir only the
  holder of the lease it is given fits (``zerocarbon.scheduler_lock``: ``run`` passes its ``scheduler`` lease,
  ``dashboard`` a ``plan`` lease of its own); the others read its file.
* **Weather feed.** The MQTT topic ``forecast.weather_topic`` of ``config/planning.yaml`` is listened to
  (``collectors.weather_feed``) and each good forecast kept in ``<data_dir>/weather_forecasts/``, where the plan
  and the Plan page take the latest one spanning the day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from models.errors import TooLittleHistory, ZeroCarbonError
from models.site import Site
from storage.base import Store
from zerocarbon.settings import Settings

log = logging.getLogger("zerocarbon.plan_service")
FIT_AT = {"hour": 0, "minute": 30}  # site time: after midnight, once the 15-minute rollups of 23:45 are written
START_DELAY_S = 30.0  # after start-up: the collectors and console first; a short-lived run (a test) fits nothing


def fit_tomorrow(store: Store, site: Site, settings: Settings, now: datetime | None = None) -> str | None:
    """Fit (or find kept) the models of tomorrow's plan; when they were fitted, or None when it cannot yet."""
    from planning.calendar import load_calendar
    from planning.config import load_planning_config
    from planning.model_cache import MODELS_DIR, keep_in
    from planning.tomorrow import fit_ahead

    folder = Path(settings.site).parent
    keep_in(Path(settings.data_dir) / MODELS_DIR)
    tz = site.info.timezone
    day = (pd.Timestamp(now or datetime.now(UTC)).tz_convert(tz) + pd.Timedelta(days=1)).date()
    try:
        fitted = fit_ahead(store, site, load_calendar(folder / "calendar.yaml"),
                           load_planning_config(folder / "planning.yaml"), day)
    except TooLittleHistory as exc:  # a fresh install: the Plan page says the same
        log.info("load models for %s not fitted ahead: %s", day, exc)
        return None
    except ZeroCarbonError as exc:  # a broken planning/calendar file: the Plan page names it too
        log.warning("load models for %s not fitted ahead: %s", day, exc)
        return None
    log.info("load models for the plan of %s fitted %s", day, fitted)
    return fitted


class FitAhead:
    """A daemon thread that fits tomorrow's models :data:`START_DELAY_S` after start-up and then daily at
    :data:`FIT_AT`. Its own thread, not the scheduler's: stopping the service does not wait for a fit in
    progress (the kept file is written whole or not at all, and the next start fits again)."""

    def __init__(self, store: Store, site: Site, settings: Settings, lock: Any = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.site, self.settings, self.lock, self.clock = store, site, settings, lock, clock
        self.fitted: str | None = None  # when the latest models were fitted, once a run found or fitted them
        self.stop_event = threading.Event()
        self.runs = 0
        self.thread = threading.Thread(target=self._loop, name="plan-fit-ahead", daemon=True)

    def start(self) -> FitAhead:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(2.0)

    def _loop(self) -> None:
        wait = START_DELAY_S
        while not self.stop_event.wait(wait):
            self._once()
            wait = seconds_to_next_fit(self.clock(), self.site.info.timezone)

    def _once(self) -> None:
        from zerocarbon.scheduler_lock import run_if_leader

        try:
            def fit() -> None:
                self.fitted = fit_tomorrow(self.store, self.site, self.settings, self.clock())

            if self.lock is None:
                fit()
            else:
                run_if_leader(self.lock, "plan-fit-ahead", fit)
        except Exception:  # the store closed under a fit at shutdown, or a fault of ours: logged, the loop goes on
            if not self.stop_event.is_set():
                log.exception("fitting tomorrow's load models ahead failed")
        self.runs += 1


def seconds_to_next_fit(now: datetime, timezone: str) -> float:
    """Seconds from ``now`` to the next :data:`FIT_AT` in the site's zone."""
    local = pd.Timestamp(now).tz_convert(timezone)
    at = local.normalize() + pd.Timedelta(hours=FIT_AT["hour"], minutes=FIT_AT["minute"])
    if at <= local:
        at = (local.normalize() + pd.Timedelta(days=1, hours=12)).normalize() + \
            pd.Timedelta(hours=FIT_AT["hour"], minutes=FIT_AT["minute"])  # noon first: a DST day is 23 or 25 h
    return max((at - local).total_seconds(), 1.0)


def start_weather_feed(settings: Settings, site: Site) -> Any:
    """The weather-forecast listener on the configured topic, started; None when planning.yaml cannot be read
    (the plan then says it used clear sky, and check-config names the file's problem)."""
    from planning.config import load_planning_config
    from zerocarbon.weather_wiring import feed

    try:
        topic = load_planning_config(Path(settings.site).parent / "planning.yaml").forecast.weather_topic
    except (ZeroCarbonError, ValueError) as exc:
        log.warning("weather-forecast feed not started: %s", exc)
        return None
    listener = feed(settings, site, topic)
    listener.start()
    return listener
