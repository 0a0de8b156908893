"""The alarm rules file (``config/alarms.yaml``) as validated, frozen models.

A rule says *which points* (by id or glob, template, role, kind, device), *what condition* (threshold with
deadband, rate of change, stale data, flatline, state, event bitfield, fault code, PV underperformance),
*how urgent* (priority) and *how patient* (on/off delays). :mod:`alerts.rule_loader` checks the file against
the site and reports every problem as ``file:line key.path: problem``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.vocabulary import EnergyRole, PointKind

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most urgent; lets channels say 'high and above'."""
        return list(Priority).index(self)


class High(Frozen):
    """Active above ``limit``; clears only below ``limit - deadband`` (hysteresis)."""

    type: Literal["high"]
    limit: float
    deadband: float = Field(default=0.0, ge=0)


class Low(Frozen):
    """Active below ``limit``; clears only above ``limit + deadband``."""

    type: Literal["low"]
    limit: float
    deadband: float = Field(default=0.0, ge=0)


class RateOfChange(Frozen):
    """Active when the value moves faster than ``max_per_minute`` (either direction) between two readings."""

    type: Literal["rate"]
    max_per_minute: float = Field(gt=0)


class Stale(Frozen):
    """Comm loss: no good reading within ``intervals`` polling intervals, or a comm-loss reading."""

    type: Literal["stale"]
    intervals: float = Field(default=3.0, gt=0)


class Flatline(Frozen):
    """Stuck sensor: the value has not moved more than ``tolerance`` for ``for_s`` seconds. With
    ``judge_above``, values at or below it are not judged (irradiance is rightly 0 all night)."""

    type: Literal["flatline"]
    for_s: float = Field(gt=0)
    tolerance: float = Field(default=0.0, ge=0)
    judge_above: float | None = None


class StateIs(Frozen):
    """An enumerated state (SunSpec ``St``, PCS ``state``) is one of ``states`` (names from the template)."""

    type: Literal["state"]
    states: list[str] = Field(min_length=1)


class Bitfield(Frozen):
    """Any of ``flags`` (names from the template; all flags when empty) is set in an event bitfield."""

    type: Literal["bitfield"]
    flags: list[str] = Field(default_factory=list)


class FaultCode(Frozen):
    """A fault-code register holds a value outside ``normal`` (0 means no fault on most devices)."""

    type: Literal["fault_code"]
    normal: list[int] = Field(default_factory=lambda: [0])


class Underperformance(Frozen):
    """PV: measured power below ``fraction`` of the PVWatts expectation from the weather station's
    plane-of-array irradiance and module temperature, in daylight (POA at least ``min_poa_wm2``).
    Irradiance and module temperature default to the points with roles ``irradiance_poa`` and
    ``module_temperature`` on the PV array's weather station."""

    type: Literal["underperformance"]
    fraction: float = Field(default=0.6, gt=0, lt=1)
    min_poa_wm2: float = Field(default=200.0, ge=0)
    inverter_efficiency: float = Field(default=0.96, gt=0, le=1)
    irradiance: str | None = None
    module_temperature: str | None = None


Condition = Annotated[
    High | Low | RateOfChange | Stale | Flatline | StateIs | Bitfield | FaultCode | Underperformance,
    Field(discriminator="type"),
]


class Rule(Frozen):
    id: RuleId
    description: str = ""
    priority: Priority = Priority.MEDIUM
    points: list[str] = Field(default_factory=list, description="point ids or globs: 'pv-inv-*.W'")
    device: str | None = Field(default=None, description="device id or glob")
    template: str | None = None
    role: EnergyRole | None = None
    kind: PointKind | None = None
    condition: Condition
    on_delay_s: float = Field(default=0.0, ge=0, description="condition must hold this long to raise")
    off_delay_s: float = Field(default=0.0, ge=0, description="condition must be gone this long to clear")

    @model_validator(mode="after")
    def _selects_something(self) -> Rule:
        if not (self.points or self.device or self.template or self.role or self.kind):
            raise ValueError("a rule needs at least one of 'points', 'device', 'template', 'role', 'kind'")
        return self


class DerivedPoint(Frozen):
    """A value the wiring computes and feeds in (e.g. carbon budget use), so rules can watch it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*\.[A-Za-z][A-Za-z0-9_]*$")
    unit: str = ""
    interval_s: float = Field(default=900.0, gt=0)


class ChannelBase(Frozen):
    min_priority: Priority = Priority.LOW
    events: list[Literal["raised", "cleared"]] = Field(default_factory=lambda: ["raised", "cleared"])
    rate_per_minute: float = Field(default=30.0, gt=0, description="beyond this, notifications are dropped")
    dedup_s: float = Field(default=300.0, ge=0, description="same alarm and event not sent twice within this")


class MqttChannel(ChannelBase):
    channel: Literal["mqtt"]
    host: str | None = None  # default: the site's broker (or ZEROCARBON_MQTT_HOST)
    port: int | None = Field(default=None, ge=1, le=65535)
    topic: str = "zerocarbon/alarms/{priority}/{device}"
    qos: Literal[0, 1, 2] = 1


class WebhookChannel(ChannelBase):
    channel: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    timeout_s: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    max_backoff_s: float = Field(default=30.0, gt=0)


class EmailChannel(ChannelBase):
    channel: Literal["email"]
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    to: list[str] = Field(min_length=1)
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)


Channel = Annotated[MqttChannel | WebhookChannel | EmailChannel, Field(discriminator="channel")]


class AlarmsFile(Frozen):
    max_shelve_minutes: float = Field(default=480.0, gt=0, description="shelving is always time-limited")
    derived_points: list[DerivedPoint] = Field(default_factory=list)
    notifications: list[Channel] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
