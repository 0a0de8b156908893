"""deploy/mosquitto runs on a real mosquitto 2.0: passwords enforced, the compose health check passes, and the
optional TLS listener accepts a client that trusts the CA. Only container paths and ports are rewritten."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ops.conftest import ROOT
from tests.ops.deploy_broker import (
    GATEWAY,
    GATEWAY_PASSWORD,
    PASSWORD,
    USER,
    Broker,
    delivered,
    open_session,
    publish,
    refused,
    round_trip,
    start_deploy_broker,
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    server = start_deploy_broker(tmp_path_factory.mktemp("deploy-mosquitto"))
    yield server
    server.stop()


def test_anonymous_and_wrong_password_are_refused(broker: Broker) -> None:
    assert refused(broker.port)
    assert refused(broker.port, USER, "wrong")


def test_the_services_account_publishes_and_subscribes(broker: Broker) -> None:
    assert round_trip(broker.port)


def test_tls_listener_accepts_a_client_trusting_the_ca(broker: Broker) -> None:
    assert round_trip(broker.tls_port, ca_file=broker.ca_file)
    assert refused(broker.tls_port, ca_file=broker.ca_file), "the password file applies to TLS too"


def test_gateways_may_only_publish_under_zc(broker: Broker) -> None:
    services = open_session(broker.port, USER, PASSWORD, subscribe="#")
    gateway = open_session(broker.port, GATEWAY, GATEWAY_PASSWORD, subscribe="#")
    try:
        assert gateway.reason == 0
        publish(gateway, "zc/chiller-plant/telemetry", b'{"cooling_kw": 812}')
        assert delivered(services, "zc/chiller-plant/telemetry", b'{"cooling_kw": 812}', wait_s=10)
        # the ACL drops these silently (MQTT 3.1.1 has no refusal for a publish)
        publish(gateway, "zerocarbon/alarms/high/pv-inv-03", b"forged")
        publish(services, "zc/pv-inv-03/status", b"for services only")
        assert delivered(services, "zc/pv-inv-03/status", b"for services only", wait_s=10)
        assert not delivered(services, "zerocarbon/alarms/high/pv-inv-03", b"forged")
        assert gateway.received == [], "a gateway reads nothing, not even its own messages"
    finally:
        services.close()
        gateway.close()


def test_compose_health_check_passes_against_the_broker(broker: Broker, stack: dict[str, Any]) -> None:
    kind, command = stack["services"]["mosquitto"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    # compose turns $$ into $ before the shell sees it; the container's port 1883 is our free port
    command = command.replace("$$", "$").replace("-p 1883", f"-p {broker.port}")
    env = {**os.environ, "ZEROCARBON_MQTT_USERNAME": USER, "ZEROCARBON_MQTT_PASSWORD": PASSWORD}
    ok = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    env["ZEROCARBON_MQTT_PASSWORD"] = "wrong"
    assert subprocess.run(["sh", "-c", command], env=env, capture_output=True, timeout=30).returncode != 0


def test_make_passwd_refuses_the_example_password(tmp_path: Path) -> None:
    done = subprocess.run(
        ["sh", str(ROOT / "deploy" / "mosquitto" / "make-passwd.sh"), str(ROOT / "deploy" / ".env.example")],
        env={
            **os.environ,
            "MOSQUITTO_PASSWD_FILE": str(tmp_path / "passwd"),
            "MOSQUITTO_ACL_FILE": str(tmp_path / "acl"),
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0 and "ZEROCARBON_MQTT_PASSWORD is still the example value" in done.stderr
    assert not (tmp_path / "passwd").exists() and not (tmp_path / "acl").exists()


def test_simulated_gateways_log_in_to_the_production_broker(broker: Broker, site: Any) -> None:
    """The compose `simulator` profile: its MQTT gateways publish with the gateway account, not anonymously."""
    from simulators.site import SimulatedSite, remap_ports

    services = open_session(broker.port, USER, PASSWORD, subscribe="zc/#")
    logged_in = remap_ports(site, {}, mqtt_credentials=(GATEWAY, GATEWAY_PASSWORD))
    sim = SimulatedSite(logged_in, ports={d.id: 0 for d in site.devices if d.protocol == "modbus"},
                        mqtt_host="127.0.0.1", mqtt_port=broker.port, publish_s=0.5)
    sim.start()
    try:
        import time

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(t.startswith("zc/") for t, _ in services.received):
            time.sleep(0.2)
    finally:
        sim.stop()
        services.close()
    topics = {t for t, _ in services.received}
    assert "zc/chiller-plant/telemetry" in topics, topics
