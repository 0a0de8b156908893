"""``zerocarbon discover bacnet://...``: Who-Is/I-Am, the objects with name, units and value, and a template that
the collector then reads: a device never seen before, end to end, as docs/collectors.md tells a user to do."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.bacnet import BacnetPoller
from models.bacnet import BacnetTemplate
from models.loader import load_template
from simulators.bacnet_server import BacnetEndpoint
from tests.collectors.conftest import write_site
from tests.collectors.test_discover import run

AHU = {"supply_air_c": 14.5, "return_air_c": 24.25, "return_co2_ppm": 650.0, "fan_kw": 11.5, "fan_speed_pct": 72.0,
       "fan_running": 1.0, "filter_alarm": 0.0, "mode": 2.0}


@pytest.fixture
def ahu(tmp_path: Path) -> Iterator[BacnetEndpoint]:
    """A simulated AHU controller (bacpypes3 objects) on a free UDP port, served by its own loop in a thread."""
    site = write_site(tmp_path, [{"id": "ahu-9", "protocol": "bacnet", "template": "bacnet-ahu",
                                  "connection": {"host": "127.0.0.1", "device_instance": 4242}}])
    template = site.template_of(site.devices[0])
    assert isinstance(template, BacnetTemplate)
    endpoint = BacnetEndpoint(site.devices[0], template, "127.0.0.1", 0, {})
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> None:
        await endpoint.start()
        endpoint.update(AHU)

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield endpoint
    asyncio.run_coroutine_threadsafe(endpoint.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_json_lists_objects_with_name_units_and_present_value(ahu: BacnetEndpoint) -> None:
    result = run("discover", f"bacnet://127.0.0.1:{ahu.port}/4242", "--json")
    assert result.returncode == 0, result.stderr
    objects = {o["name"]: o for o in json.loads(result.stdout)}
    assert set(objects) == set(AHU)
    supply = objects["supply_air_c"]
    assert (supply["object"], supply["value"], supply["units"], supply["unit"], supply["quality"]) == (
        "analog-input,1", 14.5, "degrees-celsius", "degC", "good")
    assert objects["fan_running"]["value"] == 1.0 and objects["fan_running"]["object_type"] == "binary-input"
    assert objects["mode"]["states"] == {"1": "off", "2": "occupied", "3": "unoccupied", "4": "night_purge"}


def test_template_it_writes_is_valid_and_the_collector_reads_the_device_with_it(
    ahu: BacnetEndpoint, tmp_path: Path
) -> None:
    result = run("discover", f"bacnet://127.0.0.1:{ahu.port}/4242", "--template")
    assert result.returncode == 0, result.stderr
    templates = tmp_path / "mine"
    templates.mkdir()
    path = templates / "bacnet-127-0-0-1-4242.yaml"
    path.write_text(result.stdout)
    template, problems = load_template(path)
    assert problems == [] and isinstance(template, BacnetTemplate)
    assert {p.name: p.kind.value for p in template.points}["return_co2_ppm"] == "co2"
    site = write_site(tmp_path, [{"id": "ahu-9", "protocol": "bacnet", "template": "bacnet-ahu",
                                  "connection": {"host": "127.0.0.1", "port": ahu.port, "device_instance": 4242}}])
    poller = BacnetPoller(site.devices[0], template)

    async def read() -> dict[str, float | None]:
        try:
            return {r.point_id.split(".", 1)[1]: r.value for r in await poller.poll("default")}
        finally:
            await poller.stop()

    assert asyncio.run(read()) == AHU


def test_unknown_instance_is_a_one_line_error_naming_the_address(ahu: BacnetEndpoint) -> None:
    result = run("discover", f"bacnet://127.0.0.1:{ahu.port}/7", "--json", "--timeout", "0.4")
    assert result.returncode == 1
    assert f"no I-Am from 127.0.0.1:{ahu.port} device 7" in result.stderr
    assert "Traceback" not in result.stderr
