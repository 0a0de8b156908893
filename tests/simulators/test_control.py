"""The loopback control port and the command-line fault switches of a running simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from simulators.control import ControlServer, call
from simulators.site import SimulatedSite


@pytest.fixture
def control(sim: SimulatedSite) -> Iterator[ControlServer]:
    server = ControlServer(sim, port=0).start()
    yield server
    server.stop()


def test_faults_set_and_cleared_over_http(sim: SimulatedSite, control: ControlServer) -> None:
    active = call(control.port, "PUT", "/faults/pv-inv-03", {"kind": "slow", "params": {"delay_s": 1.5}})
    assert active == {"pv-inv-03": {"kind": "slow", "delay_s": 1.5}}
    assert sim.faults() == active
    assert call(control.port, "DELETE", "/faults/pv-inv-03") == {}
    values = call(control.port, "GET", "/values/grid-meter-1")
    assert values["p_kw"] > 0


def test_http_errors_name_the_problem(control: ControlServer) -> None:
    with pytest.raises(RuntimeError, match="unknown fault 'fire'"):
        call(control.port, "PUT", "/faults/pv-inv-03", {"kind": "fire"})
    with pytest.raises(RuntimeError, match="no device 'pv-inv-42'"):
        call(control.port, "DELETE", "/faults/pv-inv-42")


def test_command_line_switches_talk_to_the_running_simulator(sim: SimulatedSite, control: ControlServer) -> None:
    from zerocarbon.cli import app

    port = str(control.port)
    runner = CliRunner()
    outcome = runner.invoke(app, ["simulate", "--control-port", port, "--set-fault", "pv-inv-03=comm_loss"])
    assert outcome.exit_code == 0, outcome.output
    assert "pv-inv-03: {'kind': 'comm_loss'}" in outcome.output
    assert sim.faults()["pv-inv-03"]["kind"] == "comm_loss"
    outcome = runner.invoke(app, ["simulate", "--control-port", port, "--clear-fault", "pv-inv-03"])
    assert outcome.exit_code == 0 and "no faults active" in outcome.output
    assert sim.faults() == {}


def test_command_line_without_a_simulator_says_how_to_start_one() -> None:
    from tests.support.processes import free_port
    from zerocarbon.cli import app

    outcome = CliRunner().invoke(app, ["simulate", "--control-port", str(free_port()), "--list-faults"])
    assert outcome.exit_code == 1 and "start `zerocarbon simulate`" in outcome.output
