"""The simulated service centre for any area's tests: every device of a site live on free loopback ports.

    handle = start_simulated_site(site, mosquitto.port)
    handle.site            # the Site with Modbus ports remapped: give it to collectors
    handle.fault("pv-inv-03", "comm_loss"); handle.clear_fault("pv-inv-03")
    handle.values("grid-meter-1")   # what the device reports now
    handle.stop()

``start_time`` shifts the simulated clock (e.g. a sunny weekday noon, so PV produces) and ``speed`` runs it
faster than the wall clock. MQTT gateways publish every ``publish_s`` seconds to the given broker. ``counters``
(point id -> value, e.g. a backfill's ``result.counters``) makes the meters carry on from a history. ``plans``:
the folder of day plans (``models.plan_file``) the storage and EV fleet follow.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from models.site import ModbusConnection, Site
from simulators.site import SimulatedSite

SUNNY_WEEKDAY_NOON = datetime.fromisoformat("2026-10-14T12:00:00+08:00")  # a clear autumn Wednesday, seed 0


def start_simulated_site(
    site: Site,
    mosquitto_port: int | None,
    seed: int = 0,
    *,
    start_time: datetime | None = SUNNY_WEEKDAY_NOON,
    speed: float = 1.0,
    publish_s: float = 1.0,
    tick_s: float = 0.5,
    counters: dict[str, float] | None = None,
    plans: Path | None = None,
) -> SimulatedSite:
    """Start every device of ``site`` (Modbus on fresh free ports; MQTT to ``mosquitto_port`` unless None)."""
    # Port 0: each server binds a port the OS picks, so parallel test runs never race for a "free" one.
    ports = {d.id: 0 for d in site.devices if isinstance(d.connection, ModbusConnection)}
    handle = SimulatedSite(
        site,
        seed=seed,
        ports=ports,
        mqtt_host="127.0.0.1",
        mqtt_port=mosquitto_port,
        publish_mqtt=mosquitto_port is not None,
        tick_s=tick_s,
        publish_s=publish_s,
        start_time=start_time,
        speed=speed,
        counters=counters,
        plans=plans,
    )
    return handle.start()
