"""The one alarm lifecycle (ISA-18.2 style) every alarm follows, as plain data and a transition table.

::

    condition raised           acknowledge                condition cleared
    normal ──────────▶ ACTIVE_UNACK ──────────▶ ACTIVE_ACK ──────────▶ normal (closed)
                           │   ▲
         condition cleared │   │ condition raised again (same alarm, annunciated again)
                           ▼   │
                       CLEARED_UNACK ──── acknowledge ────▶ normal (closed)

Shelving is orthogonal: a shelved alarm source keeps its state but is neither shown by default nor notified,
and shelving always ends (at most ``max_shelve_minutes`` after it began).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlarmState(StrEnum):
    ACTIVE_UNACK = "active_unack"
    ACTIVE_ACK = "active_ack"
    CLEARED_UNACK = "cleared_unack"
    NORMAL = "normal"

    @property
    def is_open(self) -> bool:
        return self is not AlarmState.NORMAL

    @property
    def is_active(self) -> bool:
        return self in (AlarmState.ACTIVE_UNACK, AlarmState.ACTIVE_ACK)


# (state, what happened) -> next state; a missing pair means "no change" for conditions, an error for people.
ON_RAISE = {AlarmState.CLEARED_UNACK: AlarmState.ACTIVE_UNACK, AlarmState.NORMAL: AlarmState.ACTIVE_UNACK}
ON_CLEAR = {AlarmState.ACTIVE_UNACK: AlarmState.CLEARED_UNACK, AlarmState.ACTIVE_ACK: AlarmState.NORMAL}
ON_ACK = {AlarmState.ACTIVE_UNACK: AlarmState.ACTIVE_ACK, AlarmState.CLEARED_UNACK: AlarmState.NORMAL}


@dataclass(frozen=True)
class Alarm:
    """One alarm: raised once, then moved through the lifecycle until it is closed (normal)."""

    id: int
    source: str  # "<rule id>:<point id>": at most one open alarm per source
    rule_id: str
    point_id: str
    priority: str
    state: AlarmState
    message: str
    value: float | None
    raised_at: float
    cleared_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    closed_at: float | None = None
    shelved_until: float | None = None
    shelved_by: str | None = None
    shelve_reason: str | None = None

    @property
    def device(self) -> str:
        return self.point_id.partition(".")[0]

    def is_shelved(self, now: float) -> bool:
        return self.shelved_until is not None and self.shelved_until > now


@dataclass(frozen=True)
class AlarmEvent:
    """One stored transition: who did what to which alarm, when, and the state it left."""

    id: int
    alarm_id: int
    ts: float
    event: str  # raised, re-raised, cleared, acknowledged, shelved, unshelved, shelve_expired
    state: AlarmState
    user: str
    note: str


@dataclass(frozen=True)
class AlarmChange:
    """What a condition edge did to the journal; the engine notifies from it."""

    alarm: Alarm
    event: str  # "raised" or "cleared"
    shelved: bool

