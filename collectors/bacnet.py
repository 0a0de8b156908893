"""BACnet/IP acquisition: one poller per device, ReadPropertyMultiple in planned batches, COV where it works.

A cycle of a polling group gives one reading per point, like a Modbus cycle, so stores, coverage and energy
integration see the same regular series whatever the protocol:

- Points without a live COV subscription are read with ReadPropertyMultiple (``present-value`` and
  ``status-flags``), in as few requests as the device's I-Am allows (:mod:`collectors.bacnet_plan`).
- Points with a COV subscription are not asked again: the device notifies every change (beyond its COV
  increment) and each notification is handed to the sink at once; the cycle then repeats the last notified
  value at the cycle's time. One object of a group whose points are all subscribed is still read each cycle,
  so a dead device is noticed within the same interval. Subscriptions are renewed every ``COV_RENEW_S``
  (a restarted controller forgets them, and a renewal makes it send the current value again).
- ``status-flags`` set the quality: *fault* gives ``device_error`` without a value (the controller says the
  value is unreliable), *out-of-service* keeps the value with ``out_of_service`` (it was set by hand),
  *in-alarm* and *overridden* keep ``good`` (the value is real).
- A device that does not answer marks every point of the group ``comm_loss`` in that cycle, then backs off
  by the rule every poller shares (:meth:`collectors.interface.DeviceHealth.note_comm_loss`): the next cycle,
  then 2, 4, 8... intervals.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.primitivedata import ObjectIdentifier

from collectors.bacnet_client import PRESENT_VALUE, STATUS_FLAGS, BacnetLink, Peer, is_error
from collectors.bacnet_plan import batches, objects_per_request
from collectors.batch import ReadingBatch
from collectors.interface import DeviceHealth
from models.bacnet import BacnetConnection, BacnetPoint, BacnetTemplate
from models.errors import DeviceError, DeviceExceptionResponse
from models.reading import Quality, ReadingSink, point_id
from models.site import Device

log = logging.getLogger(__name__)
logging.getLogger("bacpypes3").setLevel(logging.CRITICAL)
NAN = math.nan
PROPERTIES = ["present-value", "status-flags"]
COV_LIFETIME_S = 300
COV_RENEW_S = 120.0


def flags_quality(flags: Sequence[int] | None) -> Quality:
    """status-flags (in-alarm, fault, overridden, out-of-service) -> the reading's quality."""
    if not flags:
        return Quality.GOOD
    if flags[1]:
        return Quality.DEVICE_ERROR
    if len(flags) > 3 and flags[3]:
        return Quality.OUT_OF_SERVICE
    return Quality.GOOD


def reading_value(value: Any, quality: Quality) -> float:
    """Real, Unsigned and Enumerated (inactive 0 / active 1) are all numbers; a faulted value is not kept."""
    return NAN if quality is Quality.DEVICE_ERROR or value is None else float(value)


@dataclass
class Watched:
    """Latest COV-notified value and flags of one object."""

    value: Any = None
    flags: Sequence[int] | None = None


class BacnetPoller:
    """Polls (and subscribes to) one BACnet device; every cycle returns readings or comm-loss marks."""

    protocol = "bacnet"

    def __init__(self, device: Device, template: BacnetTemplate, *, max_backoff_s: float = 300.0) -> None:
        c = device.connection
        assert isinstance(c, BacnetConnection)
        self.device = device
        self.template = template
        default = device.poll_s.get("default", 5.0)
        self.groups: dict[str, list[BacnetPoint]] = {}
        for p in template.points:
            self.groups.setdefault(p.group, []).append(p)
        self.intervals = {g: float(device.poll_s.get(g, default)) for g in self.groups}
        self.link = BacnetLink(device.id, c, min(c.timeout_s, 0.9 * min(self.intervals.values())))
        self.ids = {g: tuple(point_id(device.id, p.name) for p in ps) for g, ps in self.groups.items()}
        self.health = DeviceHealth(device.id)
        self.max_backoff_s = max_backoff_s
        self.peer: Peer | None = None
        self.per_request = 1
        self.sink: ReadingSink | None = None
        self.watched: dict[str, Watched] = {}  # object id -> latest notification
        self._subscriptions: dict[str, tuple[Any, asyncio.Task[None]]] = {}
        self._renewed = 0.0
        self._cov_refused = False
        self._no_cov: set[str] = set()
        self._cov_task: asyncio.Future[None] | None = None

    async def start(self, sink: ReadingSink | None = None) -> None:
        """Keep ``sink`` for COV notifications; the device is asked for its I-Am on the first cycle, so a
        device down at start-up is reported like any other comm loss."""
        self.sink = sink

    async def poll(self, group: str) -> ReadingBatch:
        """One cycle of ``group``: its values, or comm-loss marks when the device does not answer."""
        points = self.groups[group]
        started = time.monotonic()
        if self.health.backing_off(started):
            return self._marks(group, Quality.COMM_LOSS)
        try:
            if self.peer is None:
                await self._meet()
            got = await self._read(self._to_read(points))
        except DeviceError as exc:
            await self._forget_device()
            self.health.note_comm_loss(exc, self.intervals[group], self.max_backoff_s)
            return self._marks(group, Quality.COMM_LOSS)
        values, qualities = self._values(points, got)
        self.health.last_cycle_ms = (time.monotonic() - started) * 1000
        ts = time.time()
        if Quality.DEVICE_ERROR in qualities:  # an unknown object or a fault flag: answering, but not well
            self.health.note_failed_cycle()
        else:
            self.health.note_ok(ts)
        self._upkeep_cov()
        all_good = all(q is Quality.GOOD for q in qualities)
        return ReadingBatch(self.ids[group], ts, values, None if all_good else qualities)

    async def stop(self) -> None:
        """Cancel the subscriptions (politely, with a short wait) and close the client."""
        if self._cov_task is not None:
            self._cov_task.cancel()
        for obj in list(self._subscriptions):
            await self._drop(obj, polite=True)
        self.link.close()

    def close(self) -> None:
        self.link.close()

    # --- the device ------------------------------------------------------------------------------------------
    async def _meet(self) -> None:
        self.peer = await self.link.who_is()
        self.per_request = objects_per_request(self.peer.max_apdu, self.peer.segmentation,
                                               self.template.max_objects_per_request)
        self.health.requests_per_cycle = {g: len(batches(ps, self.per_request)) for g, ps in self.groups.items()}

    def _to_read(self, points: list[BacnetPoint]) -> list[BacnetPoint]:
        """Points without a notified value; at least one point, so every cycle hears from the device."""
        unwatched = [p for p in points if self.watched.get(p.object_id, Watched()).flags is None]
        return unwatched or points[:1]

    async def _read(self, points: list[BacnetPoint]) -> dict[str, tuple[Any, Any]]:
        """object id -> (present-value, status-flags) or (error, None); a refused batch marks its objects."""
        got: dict[str, tuple[Any, Any]] = {}
        for batch in batches(points, self.per_request):
            objects = [p.object_id for p in batch]
            try:
                rows = await self.link.read(objects, PROPERTIES)
            except DeviceExceptionResponse as exc:
                self.health.note_error(exc)
                got.update({o: (exc, None) for o in objects})
                continue
            for objid, prop, _index, value in rows:
                key = f"{objid[0]},{objid[1]}"
                pv, flags = got.get(key, (None, None))
                if int(prop) == PRESENT_VALUE:
                    pv = value
                elif int(prop) == STATUS_FLAGS and not is_error(value):
                    flags = list(value)
                got[key] = (pv, flags)
        return got

    def _values(self, points: list[BacnetPoint], got: dict[str, tuple[Any, Any]]) -> tuple[list[float],
                                                                                          list[Quality]]:
        values, qualities = [], []
        for p in points:
            if p.object_id in got:
                pv, flags = got[p.object_id]
                w = self.watched.get(p.object_id)
                if w is not None and not is_error(pv):  # in place: its listener holds this very object
                    w.value, w.flags = pv, flags or [0, 0, 0, 0]
            else:
                w = self.watched[p.object_id]
                pv, flags = w.value, w.flags
            if is_error(pv):
                self.health.note_error(DeviceExceptionResponse(f"{self.link.where([p.object_id])}: {_error_text(pv)}",
                                                         device=self.device.id))
                values.append(NAN)
                qualities.append(Quality.DEVICE_ERROR)
                continue
            quality = flags_quality(flags)
            values.append(reading_value(pv, quality))
            qualities.append(quality)
        return values, qualities

    # --- COV ---------------------------------------------------------------------------------------------------
    def _upkeep_cov(self) -> None:
        """Subscribe and renew beside the cycles, not in them: a cycle's readings never wait for a round trip
        per object (a controller of 40 objects takes 40 SubscribeCOV requests)."""
        if not self.link.connection.cov or self._cov_refused:
            return
        if self._cov_task is None or self._cov_task.done():
            self._cov_task = asyncio.ensure_future(self._cov_upkeep())

    async def _cov_upkeep(self) -> None:
        try:
            await self._keep_subscribed()
        except DeviceError as exc:  # renewal failed: drop them all; the cycles' reads judge the device itself
            log.info("%s; polling every object until subscribed again", exc)
            for obj in list(self._subscriptions):
                await self._drop(obj, polite=False)
            self._renewed = 0.0

    async def _keep_subscribed(self) -> None:
        now = time.monotonic()
        if self._renewed and now - self._renewed < COV_RENEW_S:
            return
        self._renewed = now
        for p in self.template.points:
            if p.object_id in self._subscriptions:
                await self._renew(p.object_id)
            elif p.object_id not in self._no_cov and not await self._subscribe(p):
                return

    async def _subscribe(self, p: BacnetPoint) -> bool:
        app = self.link.app
        scm = app.change_of_value(self.link.address, ObjectIdentifier(p.object_id), None, False, COV_LIFETIME_S)
        try:
            await asyncio.wait_for(scm.__aenter__(), self.link.timeout_s + 0.5)
        except (ErrorRejectAbortNack, TimeoutError) as exc:
            app._cov_contexts.pop((self.link.address, scm.subscriber_process_identifier), None)
            log.info("%s: no COV for %s (%s); polling it", self.device.id, p.object_id, exc or type(exc).__name__)
            self._no_cov.add(p.object_id)  # asked again only after the device was lost and found
            self._cov_refused = "service" in str(exc) or isinstance(exc, TimeoutError)
            return not self._cov_refused
        if scm.refresh_subscription_handle:  # we renew ourselves, so a failed renewal is ours to handle
            scm.refresh_subscription_handle.cancel()
        self.watched.setdefault(p.object_id, Watched())
        task = asyncio.ensure_future(self._listen(p, scm))
        self._subscriptions[p.object_id] = (scm, task)
        return True

    async def _renew(self, obj: str) -> None:
        scm, _task = self._subscriptions[obj]
        try:
            await asyncio.wait_for(scm.refresh_subscription(), self.link.timeout_s + 0.5)
        except (ErrorRejectAbortNack, TimeoutError) as exc:
            raise DeviceError(f"{self.link.where([obj])}: COV renewal failed ({exc})", device=self.device.id) from None
        if scm.refresh_subscription_handle:
            scm.refresh_subscription_handle.cancel()

    async def _listen(self, p: BacnetPoint, scm: Any) -> None:
        pid = point_id(self.device.id, p.name)
        while True:
            w = self.watched[p.object_id]
            self._apply(w, *await scm.get_value())
            while not scm.queue.empty():  # one notification carries present-value and status-flags: one reading
                self._apply(w, *await scm.get_value())
            if self.sink is not None and w.value is not None and w.flags is not None:
                quality = flags_quality(w.flags)
                batch = ReadingBatch((pid,), time.time(), [reading_value(w.value, quality)],
                                     None if quality is Quality.GOOD else [quality])
                try:
                    self.sink.put(batch)
                except Exception:  # a failing sink must not end the subscription; the spool never raises
                    log.exception("%s: the reading sink refused a COV reading", self.device.id)

    @staticmethod
    def _apply(w: Watched, prop: Any, value: Any) -> None:
        if int(prop) == PRESENT_VALUE:
            w.value = value
        elif int(prop) == STATUS_FLAGS:
            w.flags = list(value)

    async def _drop(self, obj: str, *, polite: bool) -> None:
        scm, task = self._subscriptions.pop(obj)
        task.cancel()
        self.watched.pop(obj, None)
        try:
            if polite:
                await asyncio.wait_for(scm.__aexit__(None, None, None), 0.5)
            else:
                await scm.__aexit__(DeviceError, None, None)  # abandon: no request is sent
        except (ErrorRejectAbortNack, TimeoutError, KeyError):
            pass

    async def _forget_device(self) -> None:
        """After a comm loss: subscriptions are abandoned and the device is met again when it answers."""
        if self._cov_task is not None:
            self._cov_task.cancel()
            self._cov_task = None
        for obj in list(self._subscriptions):
            await self._drop(obj, polite=False)
        self.peer = None
        self._cov_refused = False
        self._renewed = 0.0
        self._no_cov.clear()

    # --- health ------------------------------------------------------------------------------------------------
    def _marks(self, group: str, quality: Quality) -> ReadingBatch:
        n = len(self.groups[group])
        return ReadingBatch(self.ids[group], time.time(), [NAN] * n, [quality] * n)


def _error_text(value: Any) -> str:
    cls, code = getattr(value, "errorClass", None), getattr(value, "errorCode", None)
    return f"{cls}: {code}" if cls is not None else str(value)
