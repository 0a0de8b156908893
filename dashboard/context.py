"""What every page reads from: the store, the site, the alarm journal, settings and the clock.

One :class:`Console` is built by :func:`dashboard.app.create_app` and handed to each page's ``register``;
pages never open stores or journals themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from carbon.files import CarbonFiles
from dashboard.snapshot import Snapshots
from models.site import PointInfo, Site
from models.vocabulary import EnergyRole
from storage.base import Store

T = TypeVar("T")
DEFAULT_REFRESH_S = 5.0


class ConsoleSettings(Protocol):
    """The part of ``zerocarbon.settings.Settings`` the console needs (dashboard may not import zerocarbon)."""

    data_dir: Path


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Console:
    store: Store
    site: Site
    journal: Any  # alerts.journal.AlarmJournal: active(), history(...), acknowledge(...), shelve(...)
    settings: ConsoleSettings
    clock: Callable[[], datetime] = utc_now
    config_dir: Path = field(default_factory=lambda: Path("config"))
    refresh_s: float = DEFAULT_REFRESH_S  # the live tick; one shared snapshot per key and tick
    carbon_files: CarbonFiles | None = None  # the process's one reader of the carbon files (zerocarbon/ builds it)

    @cached_property
    def carbon(self) -> CarbonFiles:
        """Factor table and carbon config, parsed once (again only after an edit): see :mod:`carbon.files`."""
        return self.carbon_files or CarbonFiles.in_dir(self.config_dir)

    @cached_property
    def snapshots(self) -> Snapshots:
        return Snapshots(self.refresh_s)

    def snapshot(self, page: str, period: str, lang: str, compute: Callable[[], T], ttl_s: float | None = None) -> T:
        """``compute()`` once per refresh tick for every viewer of ``(page, period, lang)``; see
        :mod:`dashboard.snapshot` for the rules (``compute`` must not depend on the signed-in user)."""
        return self.snapshots.get(page, period, lang, compute, ttl_s)

    @cached_property
    def points(self) -> list[PointInfo]:
        """The site's point catalogue, one list for the console's life (``Site.points()`` copies it per call)."""
        return self.site.points()

    def points_by_role(self, role: EnergyRole) -> list[PointInfo]:
        return [p for p in self.points if p.role is role]

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.site.info.timezone)

    def now(self) -> datetime:
        return self.clock()

    def local_midnight(self, when: datetime | None = None) -> datetime:
        local = (when or self.now()).astimezone(self.timezone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    def year_start(self) -> datetime:
        local = self.now().astimezone(self.timezone)
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
