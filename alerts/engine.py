"""The alarm engine: readings in, alarm lifecycle transitions and notifications out.

``put(readings)`` (a :class:`models.reading.ReadingSink`) runs on the collector's thread, so it only touches
memory: one dictionary lookup per reading and one small check per rule watching that point (the point→sources
index is built once). Condition edges, after on/off delays, go to a journal worker thread that writes the
lifecycle to SQLite and hands notifications to the channel workers. ``tick(now)`` advances what the clock
alone decides: delays that ran out without a new reading, stale data, and the end of shelving.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from alerts.conditions import AlarmSource, WeatherInput, make_checker
from alerts.journal import AlarmJournal
from alerts.notify.message import Notification
from alerts.rule_loader import PointMeta, RuleSet
from alerts.rules import Rule
from models.reading import Reading
from models.site import PointInfo, Site

log = logging.getLogger(__name__)
MAX_BATCH = 500  # edges per journal transaction in a flood


class Notifier(Protocol):
    def notify(self, note: Notification) -> None: ...


class AlarmEngine:
    def __init__(
        self,
        rules: RuleSet,
        site: Site,
        journal: AlarmJournal,
        notifiers: Sequence[Notifier] = (),
        shelf_check_s: float = 1.0,
    ) -> None:
        self.rules, self.site, self.journal = rules, site, journal
        self.notifiers = list(notifiers)
        self.shelf_check_s = shelf_check_s
        self.sources: list[AlarmSource] = []
        self._index: dict[str, list[AlarmSource]] = {}
        self._timed: list[AlarmSource] = []
        self._pending: set[AlarmSource] = set()
        self._weather: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._last_shelf_check = float("-inf")
        self._jobs: queue.Queue[Callable[[], list[Notification]] | None] = queue.Queue()
        self._build()
        self._restore()
        self._worker = threading.Thread(target=self._run_jobs, name="alarm-journal", daemon=True)
        self._worker.start()

    def _build(self) -> None:
        for rule in self.rules.rules:
            for meta in self.rules.targets.get(rule.id, []):
                checker = make_checker(rule, meta, self.rules.pv.get(meta.info.id), self._weather)
                source = AlarmSource(rule, meta, checker)
                self.sources.append(source)
                self._index.setdefault(meta.info.id, []).append(source)
                if checker.timed:
                    self._timed.append(source)
        weather = WeatherInput(self._weather)
        inputs = {pid for ctx in self.rules.pv.values() for pid in (ctx.irradiance_id, ctx.module_temperature_id)}
        for pid in sorted(inputs):
            meta = _meta_of(self.rules, pid) or PointMeta(info=_point_info(self.site, pid), template="")
            feeder = AlarmSource(_WEATHER_RULE, meta, weather)
            self._index.setdefault(pid, []).insert(0, feeder)  # weather first, so inverters see the newest

    def _restore(self) -> None:
        """Pick up the journal's active alarms (after a restart), so their conditions can still clear them."""
        by_key = {s.key: s for s in self.sources}
        for alarm in self.journal.active():
            source = by_key.get(alarm.source)
            if source is None:
                log.warning("alarm %d (%s) has no rule any more; acknowledge it by hand", alarm.id, alarm.source)
            elif alarm.state.is_active:
                source.active = source.raw = True
                source.value = alarm.value

    # --- ReadingSink ---

    def put(self, readings: Sequence[Reading]) -> None:
        index = self._index
        with self._lock:
            for r in readings:
                sources = index.get(r.point_id)
                if sources is None:
                    continue
                for s in sources:
                    raw = s.cond.check(s, r)
                    if raw is None:
                        continue
                    s.raw = raw
                    if raw is s.active:
                        s.since = None  # a pending on/off delay is cancelled: the signal came back
                    else:
                        self._debounce(s, r.ts)

    def tick(self, now: float | None = None) -> None:
        """Advance time: delays, stale checks, shelving expiry. Call about once a second."""
        now = time.time() if now is None else now
        with self._lock:
            for s in self._timed:
                raw = s.cond.tick(s, now)
                if raw is not None and raw is not s.active:
                    s.raw = raw
                    self._debounce(s, now)
            for s in list(self._pending):
                self._debounce(s, now)
        if now - self._last_shelf_check >= self.shelf_check_s:
            self._last_shelf_check = now
            self._jobs.put(lambda: self._expire_shelves(now))

    def _debounce(self, s: AlarmSource, now: float) -> None:
        if s.raw is s.active:
            s.since, s.pending = None, False
            self._pending.discard(s)
            return
        if s.since is None:
            s.since = now
        delay = s.rule.on_delay_s if s.raw else s.rule.off_delay_s
        if now - s.since >= delay:
            self._edge(s, now)
        elif not s.pending:
            s.pending = True
            self._pending.add(s)

    def _edge(self, s: AlarmSource, now: float) -> None:
        s.active, s.since, s.pending = s.raw, None, False
        self._pending.discard(s)
        message, value, raised = s.cond.describe(s), s.value, s.raw
        self._jobs.put(lambda: self._record(s, raised, message, value, now))

    # --- journal worker ---

    def _run_jobs(self) -> None:
        """Apply queued edges to the journal, many per transaction when they pile up, then notify."""
        while True:
            jobs = [self._jobs.get()]
            while len(jobs) < MAX_BATCH and jobs[-1] is not None:
                try:
                    jobs.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            notes: list[Notification] = []
            try:
                with self.journal.batch():
                    for job in jobs:
                        if job is not None:
                            notes += self._run_one(job)
            except Exception:  # the journal is unreachable (locked for 30 s, disk full): these edges are lost
                log.exception("alarm journal: could not store %d transition(s)", len(jobs))
                notes = []
            for note in notes:  # only what is committed is announced
                self._notify(note)
            for _ in jobs:
                self._jobs.task_done()
            if jobs[-1] is None:
                return

    @staticmethod
    def _run_one(job: Callable[[], list[Notification]]) -> list[Notification]:
        try:
            return job()
        except Exception:  # one bad transition must not stop the others; the source is in the traceback
            log.exception("alarm journal job failed")
            return []

    def _record(self, s: AlarmSource, raised: bool, message: str, value: float | None, ts: float) -> list[Notification]:
        rule = s.rule
        if raised:
            change = self.journal.condition_raised(s.key, rule.id, s.meta.info.id, rule.priority, message, value, ts)
        else:
            change = self.journal.condition_cleared(s.key, f"back to normal: {message}", value, ts)
        if change is None or change.shelved:
            return []
        text = None if raised else f"cleared: {message}"
        return [Notification.of(change.alarm, change.event, ts, self.site.info.id, text)]

    def _expire_shelves(self, now: float) -> list[Notification]:
        return [Notification.of(a, "raised", now, self.site.info.id) for a in self.journal.expire_shelves(now)]

    def _notify(self, note: Notification) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(note)
            except Exception:
                log.exception("alarm notifier %r failed", notifier)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every edge so far is in the journal and handed to the channels."""
        deadline = time.monotonic() + timeout_s
        while self._jobs.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._jobs.unfinished_tasks

    def close(self, timeout_s: float = 10.0) -> None:
        self._jobs.put(None)
        self._worker.join(timeout_s)


# Not an alarm: the source that keeps irradiance and module temperature for the PV checks. Its checker always
# answers None, so this rule never raises anything; it exists because every source carries a rule.
_WEATHER_RULE = Rule.model_validate(
    {"id": "weather-input", "points": ["*"], "condition": {"type": "high", "limit": 0.0}}
)


def _meta_of(rules: RuleSet, pid: str) -> PointMeta | None:
    return next((m for metas in rules.targets.values() for m in metas if m.info.id == pid), None)


def _point_info(site: Site, pid: str) -> PointInfo:
    return next(p for p in site.points() if p.id == pid)
