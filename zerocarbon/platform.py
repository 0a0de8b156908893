"""All services in one process: collectors → spool → store, the alarm engine on every reading, rollups, console.

This is how the embedded store is run: DuckDB takes writes from one process, so ``zerocarbon run`` (and the
demo, which adds a simulated site and an embedded broker) share one store object between every service.
With InfluxDB the same services can instead run as separate processes (``collect``, ``alarms run``,
``dashboard``; see docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from models.site import Site
from storage.base import Store
from zerocarbon.alarm_wiring import AlarmService, build_alarm_service, carbon_files_of, run_clock
from zerocarbon.collect_wiring import Collection, bridge_health, build_collection
from zerocarbon.health import HealthServer, serve_health
from zerocarbon.health_wiring import TimedWriter, watch_alarms
from zerocarbon.plan_service import FitAhead, start_weather_feed
from zerocarbon.scheduler_lock import SchedulerLock, open_scheduler_lock
from zerocarbon.settings import Settings
from zerocarbon.store_wiring import schedule_rollups

if TYPE_CHECKING:
    from carbon.files import CarbonFiles

log = logging.getLogger("zerocarbon.platform")


@dataclass
class Platform:
    """The running services of one process; :meth:`stop` closes them in the reverse order of the data flow."""

    settings: Settings
    site: Site
    store: Store
    console_host: str = "127.0.0.1"
    console_port: int = 8050
    alarms: AlarmService | None = None
    collection: Collection | None = None
    console: Any = None
    scheduler: BackgroundScheduler | None = None
    health: HealthServer | None = None
    lock: SchedulerLock | None = None
    carbon: CarbonFiles | None = None  # the process's one reader of the carbon files (console, budget alarm)
    plan_fits: Any = None  # zerocarbon.plan_service.FitAhead: tomorrow's load models fitted ahead
    weather_feed: Any = None  # collectors.weather_feed.WeatherFeed on planning.yaml's forecast topic
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _clock_stop: threading.Event = field(default_factory=threading.Event)
    _clock: threading.Thread | None = None
    _unwatch: list[Callable[[], None]] = field(default_factory=list)

    def start(self) -> Platform:
        self.alarms = build_alarm_service(self.settings, self.site)
        self.carbon = self.carbon or carbon_files_of(self.site)
        self.collection = build_collection(
            self.settings, self.site, TimedWriter(self.store), extra_sinks=[self.alarms.engine]
        )
        self.health = serve_health(self.settings, "platform")
        self._unwatch = [bridge_health(self.collection), watch_alarms(self.alarms)]
        self.collection.drainer.start()
        self._thread = threading.Thread(target=self._collect, name="collector", daemon=True)
        self._thread.start()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.lock = open_scheduler_lock(self.settings)  # also keeps a second `run` off the same data dir's jobs
        schedule_rollups(self.scheduler, self.store, lock=self.lock)
        self.scheduler.start()
        self.plan_fits = FitAhead(self.store, self.site, self.settings, self.lock).start()
        self.weather_feed = start_weather_feed(self.settings, self.site)
        self._clock = run_clock(self.alarms, self._clock_stop, self.store, self.carbon)  # delays, stale, budget
        if self.console is None:  # the demo serves its console before the history is filled, then hands it in
            self.console = self._start_console()
        return self

    def _collect(self) -> None:
        asyncio.set_event_loop(self._loop)
        assert self.collection is not None
        self._loop.run_until_complete(self.collection.service.run())

    def _start_console(self) -> Any:
        assert self.alarms is not None
        return start_console(self.store, self.site, self.alarms.journal, self.settings, self.console_host,
                             self.console_port, carbon=self.carbon)

    def stop(self) -> None:
        """Console first (no new requests), then acquisition, then flush the spool and alarms, then the store."""
        if self.console is not None:
            self.console.stop()
        if self.health is not None:
            self.health.stop()
        if self.weather_feed is not None:
            self.weather_feed.stop()
        if self.plan_fits is not None:
            self.plan_fits.stop()
        for unwatch in self._unwatch:  # the metrics bridges read the collection and journal closed below
            unwatch()
        if self.collection is not None:
            asyncio.run_coroutine_threadsafe(self.collection.service.stop(), self._loop)
            if self._thread is not None:
                self._thread.join(15)
        self._clock_stop.set()
        if self._clock is not None:
            self._clock.join(5)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.lock is not None:
            self.lock.release()
        if self.collection is not None:
            self.collection.drainer.stop(10.0)
            self.collection.spool.close()
        if self.alarms is not None:
            self.alarms.close()
        self.store.close()


def start_console(store: Store, site: Site, journal: Any, settings: Settings, host: str, port: int,
                  on_app: Callable[[Any], None] | None = None, carbon: CarbonFiles | None = None) -> Any:
    """The console served in this process (waitress in a thread); returns the running server (``.stop()``).
    ``on_app(app)`` runs before the first request (the demo attaches its fill progress there)."""
    from dashboard.app import create_app
    from dashboard.server import ConsoleServer

    app = create_app(store, site, journal, settings, config_dir=settings.site.parent, carbon_files=carbon)
    if on_app is not None:
        on_app(app)
    return ConsoleServer(app, host, port).start()
