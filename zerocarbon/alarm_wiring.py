"""Wiring for alarms: rules + site + journal + channels → a running :class:`AlarmEngine`, fed either in-process
(the collector's sink hands it every reading) or, for a standalone ``zerocarbon alarms run``, by polling the
store for new readings.

A separate alarms process needs a store other processes can read while the collector writes: InfluxDB.
DuckDB allows one writing process, so with DuckDB run the engine inside the collecting process
(``zerocarbon run``) and pass it to the collector as an extra sink.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from alerts.engine import AlarmEngine
from alerts.journal import AlarmJournal
from alerts.notify.channels import BrokerDefaults, open_channels
from alerts.notify.worker import ChannelWorker
from alerts.rule_loader import RuleSet, load_rules
from alerts.store_feed import StorePoller, watched_points
from models.reading import Reading
from models.site import Site
from storage.base import Store
from zerocarbon.settings import Settings, load_configured_site

if TYPE_CHECKING:
    from carbon.files import CarbonFiles

log = logging.getLogger(__name__)
BUDGET_POINT = "carbon.month_budget_used_pct"


def rules_path(settings: Settings, given: Path | None = None) -> Path:
    """The rules file: as given, else ``alarms.yaml`` beside the site file."""
    return given or settings.site.parent / "alarms.yaml"


def journal_path(settings: Settings) -> Path:
    return settings.data_dir / "alarms.sqlite"


def broker_defaults(settings: Settings, site: Site) -> BrokerDefaults:
    return BrokerDefaults(
        host=settings.mqtt_host or site.mqtt.host,
        port=settings.mqtt_port or site.mqtt.port,
        username=settings.mqtt_username or site.mqtt.username,
        password=settings.mqtt_password or site.mqtt.password,
    )


@dataclass
class AlarmService:
    """An engine with its journal and channels; ``close`` flushes and stops them in order."""

    engine: AlarmEngine
    journal: AlarmJournal
    channels: list[ChannelWorker] = field(default_factory=list)

    def close(self) -> None:
        self.engine.flush()
        self.engine.close()
        for channel in self.channels:
            channel.flush(5)
            channel.close()
        self.journal.close()


def build_alarm_service(
    settings: Settings, site: Site | None = None, rules: RuleSet | Path | None = None
) -> AlarmService:
    site = site or load_configured_site(settings)
    ruleset = rules if isinstance(rules, RuleSet) else load_rules(rules_path(settings, rules), site)
    journal = AlarmJournal(journal_path(settings))
    channels = open_channels(list(ruleset.file.notifications), broker_defaults(settings, site))
    return AlarmService(AlarmEngine(ruleset, site, journal, channels), journal, channels)


def run_from_store(service: AlarmService, store: Store, stop: threading.Event, poll_s: float = 5.0,
                   carbon: CarbonFiles | None = None) -> None:
    """Poll the store and tick the engine until ``stop`` is set (``zerocarbon alarms run``)."""
    poller = StorePoller(store, service.engine, watched_points(service.engine.rules))
    budget = BudgetFeeder(store, service.engine, carbon)
    next_poll = 0.0
    while not stop.is_set():
        now = time.time()
        if now >= next_poll:
            try:
                poller.poll(now)
            except Exception as exc:  # a store outage delays alarms but must not end the service
                log.error("alarms: cannot read new readings from the store: %s", exc)
            next_poll = now + poll_s
        budget.maybe_feed(now)
        service.engine.tick(now)
        stop.wait(1.0)


def run_clock(service: AlarmService, stop: threading.Event, store: Store | None = None,
              carbon: CarbonFiles | None = None) -> threading.Thread:
    """For an engine fed in-process (a collector sink): a daemon thread that ticks it every second and, given
    a store, feeds the carbon budget use (from ``carbon``, the process's one reader of the carbon files).
    Returns the started thread; set ``stop`` to end it."""

    def loop() -> None:
        budget = BudgetFeeder(store, service.engine, carbon) if store is not None else None
        while not stop.wait(1.0):
            now = time.time()
            if budget is not None:
                budget.maybe_feed(now)
            service.engine.tick(now)

    thread = threading.Thread(target=loop, name="alarm-clock", daemon=True)
    thread.start()
    return thread


class BudgetFeeder:
    """Feeds ``carbon.month_budget_used_pct`` every ``every_s`` when a rule watches it, from ``carbon`` (the
    process's reader of the carbon files; one is made beside the site file when none is handed in)."""

    def __init__(self, store: Store, engine: AlarmEngine, carbon: CarbonFiles | None = None,
                 every_s: float = 900.0) -> None:
        self.store, self.engine, self.carbon, self.every_s = store, engine, carbon, every_s
        self.wanted = BUDGET_POINT in watched_points(engine.rules)
        self._next = 0.0

    def maybe_feed(self, now: float) -> None:
        if not self.wanted or now < self._next:
            return
        self._next = now + self.every_s
        from carbon.budget import month_budget_used_pct  # carbon's imports are heavy; only sites with the rule pay

        if self.carbon is None:
            self.carbon = carbon_files_of(self.engine.site)
        try:
            used = month_budget_used_pct(self.store, self.engine.site, now, self.carbon)
        except Exception as exc:  # carbon inputs missing or invalid: the other alarms go on
            log.error("alarms: cannot compute carbon budget use from %s: %s", self.carbon.config_path.parent, exc)
            return
        if used is not None:
            feed_budget_use(self.engine, used, now)


def feed_budget_use(engine: AlarmEngine, used_pct: float, ts: float | None = None) -> None:
    """Hand the engine this month's carbon budget use (emissions so far / pro-rata budget, in %)."""
    engine.put([Reading(BUDGET_POINT, time.time() if ts is None else ts, used_pct)])


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def carbon_files_of(site: Site) -> CarbonFiles:
    """The process's reader of the carbon files beside ``site``'s file (``config/`` for a site built in code)."""
    from carbon.files import CarbonFiles

    return CarbonFiles.in_dir(Path(site.source).parent if site.source else Path("config"))
