"""What every channel sends: one alarm event as a small, stable JSON-able record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from alerts.lifecycle import Alarm


@dataclass(frozen=True)
class Notification:
    alarm_id: int
    event: str  # "raised" or "cleared"
    state: str
    priority: str
    rule_id: str
    point_id: str
    device: str
    message: str
    value: float | None
    ts: float
    site: str = ""

    @classmethod
    def of(cls, alarm: Alarm, event: str, ts: float, site: str = "", message: str | None = None) -> Notification:
        return cls(
            alarm.id,
            event,
            alarm.state,
            alarm.priority,
            alarm.rule_id,
            alarm.point_id,
            alarm.device,
            message or alarm.message,
            alarm.value,
            ts,
            site,
        )

    @property
    def dedup_key(self) -> tuple[int, str]:
        return (self.alarm_id, self.event)

    @property
    def subject(self) -> str:
        return f"[{self.priority.upper()}] {self.event}: {self.message}"

    def as_json(self) -> dict[str, object]:
        body = asdict(self)
        body["time"] = datetime.fromtimestamp(self.ts, UTC).isoformat()
        return body
