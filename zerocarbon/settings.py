"""Settings shared by every service, read from the environment (and a ``.env`` file) with defaults.

Precedence: explicit command-line option > environment variable > ``.env`` in the working directory > default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from models.site import Site
from models.vocabulary import ModbusTransport

PREFIX = "ZEROCARBON_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    site: Path = Path("config/site.yaml")
    data_dir: Path = Path("data")
    store: Literal["duckdb", "influxdb"] = "duckdb"
    influx_url: str = "http://127.0.0.1:8086"
    influx_db: str = "zerocarbon"
    influx_username: str | None = None
    influx_password: str | None = None  # for InfluxDB 2.x v1-compat auth, the token goes here
    mqtt_host: str | None = None  # overrides the site file's broker
    mqtt_port: int | None = Field(default=None, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    # pymodbus by default; "wire" = collectors/modbus_wire.py, a lean read-only reader for CPU-bound sites
    modbus_transport: ModbusTransport = ModbusTransport.PYMODBUS
    mqtt_client: Literal["paho", "wire"] = "wire"  # collectors/mqtt_wire.py (2x paho on backlogs); paho for MQTT 5
    spool_max_mb: float = Field(default=512.0, gt=0)
    # MQTT payload times accepted: at most this far ahead of the receive time; no older than raw retention
    mqtt_max_ahead_s: float = Field(default=600.0, gt=0)
    log_level: str = "INFO"
    # read by zerocarbon/error_seam.py straight from the environment (the settings may be what is broken)
    debug: bool = False  # ZEROCARBON_DEBUG=1: an unexpected error prints its trace, like --debug
    error_log: Path | None = None  # where unexpected errors leave their trace (default /tmp/zerocarbon-<uid>/)
    health_port: int | None = Field(default=None, ge=0, le=65535)  # /health and /metrics; off when unset
    health_host: str = "127.0.0.1"  # 0.0.0.0 in a container so Prometheus can scrape it
    scheduler_lease_s: float = Field(default=30.0, ge=5)  # one instance runs scheduled jobs (scheduler_lock)
    instance_id: str | None = None  # who holds the lease; default <hostname>:<pid>
    admin_password: str | None = None  # the console's first admin (dashboard.auth reads ZEROCARBON_ADMIN_PASSWORD)
    cookie_secure: bool = False  # console cookies only over HTTPS: set it behind a TLS proxy (docs/dashboard.md)
    proxy_hops: int = Field(default=0, ge=0, le=5)  # reverse proxies before the console (trust X-Forwarded-*)
    # days kept per resolution (storage.retention); 0 keeps forever
    retention_raw_days: int = Field(default=400, ge=0)
    retention_15min_days: int = Field(default=3 * 366, ge=0)
    retention_hour_days: int = Field(default=10 * 366, ge=0)
    retention_day_days: int = Field(default=0, ge=0)
    retention_month_days: int = Field(default=0, ge=0)

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "zerocarbon.duckdb"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"


def load_settings(env_file: Path = Path(".env"), **overrides: object) -> Settings:
    """Settings from defaults, ``.env``, the environment and ``overrides`` (non-None values only)."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if env_file.is_file():
        for key, value in dotenv_values(env_file).items():
            if key.startswith(PREFIX) and value is not None:
                values[key[len(PREFIX) :].lower()] = value
                sources[key[len(PREFIX) :].lower()] = str(env_file)
    for key, value in os.environ.items():
        if key.startswith(PREFIX):
            values[key[len(PREFIX) :].lower()] = value
            sources[key[len(PREFIX) :].lower()] = "environment"
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0]) if err["loc"] else ""
            where = sources.get(key, "settings")
            name = PREFIX + key.upper()
            msg = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(ConfigProblem(where, None, name, msg))
        raise ConfigError(problems) from None


def load_configured_site(settings: Settings) -> Site:
    """The site file the settings name, loaded; when it is missing the error says where it was looked for and how
    to point at another (a newcomer outside the checkout gets this, not a bare 'no such file')."""
    from models.loader import load_site

    if not settings.site.is_file():
        where = settings.site if settings.site.is_absolute() else Path.cwd() / settings.site
        fix = (f"no site file at {where}; run in the directory that holds {settings.site}, or set "
               f"{PREFIX}SITE=/path/to/site.yaml (`zerocarbon demo` brings its own example site)")
        raise ConfigError([ConfigProblem(str(settings.site), None, "", fix)])
    return load_site(settings.site)


def example_site_file() -> Path:
    """The example site shipped as package data (``zerocarbon/example_site`` is the checkout's ``config/``)."""
    from importlib.resources import files

    return Path(str(files("zerocarbon") / "example_site" / "site.yaml"))


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: the site file they name if it exists or was asked for (``ZEROCARBON_SITE``), else
    the shipped example site, so ``zerocarbon demo`` works in any directory."""
    if settings.site.is_file() or PREFIX + "SITE" in os.environ:
        return settings
    return settings.model_copy(update={"site": example_site_file()})
