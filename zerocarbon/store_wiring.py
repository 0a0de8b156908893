"""Open the store the settings name: the embedded DuckDB file (default) or InfluxDB over its v1 HTTP API,
and the scheduled job that keeps its rollups current and applies retention."""

from __future__ import annotations

import logging
from datetime import datetime

from models.site import Site
from storage.base import Store
from storage.retention import Retention
from zerocarbon.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _load_site(settings: Settings) -> Site | None:
    try:
        from models.loader import load_site

        return load_site(settings.site)
    except Exception as exc:  # the store must open even while the site file is being edited
        log.warning("store: site file %s not loaded (%s); using %s and no InfluxDB tags", settings.site, exc,
                    DEFAULT_TIMEZONE)
        return None


def retention(settings: Settings) -> Retention:
    def keep(days: int) -> int | None:
        return days or None

    return Retention(
        raw_days=keep(settings.retention_raw_days),
        min15_days=keep(settings.retention_15min_days),
        hour_days=keep(settings.retention_hour_days),
        day_days=keep(settings.retention_day_days),
        month_days=keep(settings.retention_month_days),
    )


def point_tags(site: Site) -> dict[str, dict[str, str]]:
    """InfluxDB tags of each point: site, subsystem, device and energy role (docs/storage.md)."""
    return {
        p.id: {"site": site.info.id, "subsystem": p.subsystem, "device": p.device, "role": str(p.role or "")}
        for p in site.points()
    }


def counter_points(site: Site) -> frozenset[str]:
    """The energy counters: the points whose rollups carry counter energy (``increase``)."""
    from models.vocabulary import PointKind

    return frozenset(p.id for p in site.points() if p.kind is PointKind.ENERGY_COUNTER)


def counter_rollovers(site: Site) -> dict[str, float]:
    """Wrap value (point's unit) of each unsigned-integer energy counter register with a fixed scale: a uint32
    in 0.01 kWh wraps at 42,949,672.96 kWh. SunSpec accumulators scale by a factor read at run time: none."""
    from models.reading import point_id
    from models.resolve import register_points
    from models.template import ModbusTemplate
    from models.vocabulary import DataType, PointKind

    bits = {DataType.UINT16: 16, DataType.UINT32: 32, DataType.UINT64: 64}
    out: dict[str, float] = {}
    for device in site.devices:
        template = site.template_of(device)
        if not isinstance(template, ModbusTemplate):
            continue
        for p in register_points(template):
            if p.kind is PointKind.ENERGY_COUNTER and p.type in bits and p.scale_factor is None:
                out[point_id(device.id, p.name)] = 2.0 ** bits[p.type] * p.scale
    return out


def open_store(settings: Settings, site: Site | None = None) -> Store:
    """The one Store of this process. DuckDB allows one writing process: share the returned object."""
    site = site or _load_site(settings)
    zone = site.info.timezone if site else DEFAULT_TIMEZONE
    if settings.store == "influxdb":
        from storage.influx_store import InfluxStore

        return InfluxStore(
            settings.influx_url,
            settings.influx_db,
            username=settings.influx_username,
            password=settings.influx_password,
            timezone=zone,
            point_tags=point_tags(site) if site else None,
            retention=retention(settings),
            rollovers=counter_rollovers(site) if site else None,
            counters=counter_points(site) if site else None,
        )
    from storage.duckdb_store import DuckDBStore

    return DuckDBStore(
        settings.duckdb_path,
        timezone=zone,
        retention=retention(settings),
        rollovers=counter_rollovers(site) if site else None,
        counters=counter_points(site) if site else None,
    )


def schedule_rollups(scheduler, store: Store, every_s: float = 60.0, lock=None) -> None:  # type: ignore[no-untyped-def]
    """Add the rollup job to an APScheduler 3 scheduler. Given a scheduler lease (``zerocarbon.scheduler_lock``),
    each run happens only on the instance that holds it, so several collectors or replicas roll up once."""
    from storage.jobs import rollup_job
    from zerocarbon.scheduler_lock import run_if_leader

    def run() -> None:
        if lock is None:
            rollup_job(store)
        else:
            run_if_leader(lock, "rollups", lambda: rollup_job(store))

    scheduler.add_job(run, "interval", seconds=every_s, id="storage-rollups", max_instances=1, coalesce=True,
                      replace_existing=True)


EARLIEST, LATEST = 1900, 2200  # years a reading may carry; pandas' own range ends in 2262


def parse_when(text: str, timezone: str, option: str) -> tuple[datetime, bool]:
    """A command-line ISO date or date-time; without a zone it is the site's local time (second value True,
    so the command can say so). Raises InputError naming the option."""
    import pandas as pd

    from models.errors import InputError

    try:
        stamp = pd.Timestamp(text)
        naive = stamp.tzinfo is None
        if naive:
            stamp = stamp.tz_localize(timezone)
        stamp = stamp.tz_convert("UTC")
    except (ValueError, OverflowError, TypeError):  # pandas' OutOfBoundsDatetime is a ValueError
        raise InputError(f"{option} {text!r} is not an ISO 8601 date between {EARLIEST} and {LATEST} "
                         "(e.g. 2026-03-01 or 2026-03-01T08:00+08:00)") from None  # fmt: skip
    if stamp is pd.NaT or not EARLIEST <= stamp.year < LATEST:
        raise InputError(f"{option} {text!r}: give a date between {EARLIEST} and {LATEST}")
    return stamp.to_pydatetime(), naive


def parse_from_to(start: str, end: str, timezone: str) -> tuple[datetime, datetime]:
    """The ``--from`` and ``--to`` of a command as UTC (``--from`` before ``--to``, or InputError); says on stderr
    when either was read in the site's zone."""
    import typer

    from models.errors import InputError

    (t0, naive0), (t1, naive1) = parse_when(start, timezone, "--from"), parse_when(end, timezone, "--to")
    if t0 >= t1:
        fix = "swap them" if t0 > t1 else "--to is exclusive: give a later --to"
        raise InputError(f"--from {start} is not before --to {end}; {fix}")
    if naive0 or naive1:
        typer.echo(f"note: times without a zone are read in the site's zone, {timezone}", err=True)
    return t0, t1
