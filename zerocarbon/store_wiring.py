"""Open the store the settings name: the embedded DuckDB file (default) or InfluxDB over its v1 HTTP API."""

from __future__ import annotations

from storage.base import Store
from zerocarbon.settings import Settings


def site_timezone(settings: Settings) -> str:
    """The site's time zone (local days and months); Asia/Shanghai if the site file cannot be read."""
    try:
        from models.loader import load_site

        return load_site(settings.site).info.timezone
    except Exception:  # the store must open even when the site file is being edited
        return "Asia/Shanghai"


def open_store(settings: Settings, timezone: str | None = None) -> Store:
    """The one Store of this process. DuckDB allows one writing process: share the returned object."""
    zone = timezone or site_timezone(settings)
    if settings.store == "influxdb":
        from storage.influx_store import InfluxStore

        return InfluxStore(
            settings.influx_url,
            settings.influx_db,
            username=settings.influx_username,
            password=settings.influx_password,
            timezone=zone,
        )
    from storage.duckdb_store import DuckDBStore

    return DuckDBStore(settings.duckdb_path, timezone=zone)
