"""One simulated site per module: starting 41 Modbus ports and a publisher costs ~0.3 s, faults are cleared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.site import SimulatedSite
from tests.support.processes import Mosquitto
from tests.support.simsite import start_simulated_site


@pytest.fixture(scope="module")
def live_site(site, mosquitto: Mosquitto) -> Iterator[SimulatedSite]:  # type: ignore[no-untyped-def]
    handle = start_simulated_site(site, mosquitto.port, publish_s=0.5, tick_s=0.2)
    yield handle
    handle.stop()


@pytest.fixture
def sim(live_site: SimulatedSite) -> Iterator[SimulatedSite]:
    yield live_site
    for device_id in list(live_site.faults()):
        live_site.clear_fault(device_id)
