"""docker-compose.yml is valid (docker-compose 1.29 resolves it) and says what production needs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.errors import ConfigError
from tests.ops.conftest import ROOT, ZEROCARBON_SERVICES, compose_config
from zerocarbon.settings import load_settings


def test_compose_config_passes_with_the_example_env_files() -> None:
    done = compose_config()
    assert done.returncode == 0, done.stderr
    assert "services:" in done.stdout


def test_compose_config_fails_loudly_without_the_env_file() -> None:
    done = compose_config(env={"ZC_ENV_FILE": "deploy/.env.missing"})
    assert done.returncode != 0
    assert "deploy/.env.missing" in done.stderr


def test_the_three_services_run_from_one_image_with_their_commands(stack: dict[str, Any]) -> None:
    services = stack["services"]
    commands = {name: services[name]["command"] for name in ("collector", "alerts", "dashboard", "simulator")}
    assert commands == {
        "collector": ["collect"],
        "alerts": ["alarms", "run"],
        "dashboard": ["dashboard", "--host", "0.0.0.0"],
        "simulator": ["simulate"],
    }
    images = {services[name]["image"] for name in ZEROCARBON_SERVICES}
    contexts = {services[name]["build"]["context"] for name in ZEROCARBON_SERVICES}
    assert images == {"zerocarbon:latest"} and contexts == {str(ROOT)}
    assert services["influxdb"]["image"] == "influxdb:2.7"
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:2")


def test_every_service_restarts_and_has_a_health_check(stack: dict[str, Any]) -> None:
    for name, service in stack["services"].items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    for name in ZEROCARBON_SERVICES:
        assert stack["services"][name]["healthcheck"]["test"] == ["CMD", "python", "-m", "zerocarbon.health"]


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """target -> named volume (bind mounts left out)."""
    found = {}
    for spec in service.get("volumes", []):
        source, target, *_ = spec.split(":") if isinstance(spec, str) else (spec["source"], spec["target"])
        if not source.startswith("/"):
            found[target] = source
    return found


def test_every_stateful_part_lives_in_a_named_volume(stack: dict[str, Any]) -> None:
    services = stack["services"]
    assert named_volumes(services["mosquitto"]) == {"/mosquitto/data": "mosquitto-data"}
    assert named_volumes(services["influxdb"])["/var/lib/influxdb2"] == "influxdb-data"
    collector = services["collector"]
    data_dir = collector["environment"]["ZEROCARBON_DATA_DIR"]
    assert named_volumes(collector) == {data_dir: "collector-data"}, "the spool survives a container rebuild"
    # the alarm journal is one SQLite file the alert engine writes and the dashboard acknowledges in
    assert named_volumes(services["alerts"]) == named_volumes(services["dashboard"]) == {data_dir: "zerocarbon-state"}
    assert set(stack["volumes"]) >= {"mosquitto-data", "influxdb-data", "collector-data", "zerocarbon-state"}


def test_services_settings_are_valid_zerocarbon_settings(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ZEROCARBON_SERVICES:
        env = stack["services"][name]["environment"]
        for key in [k for k in list(os.environ) if k.startswith("ZEROCARBON_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        try:
            settings = load_settings(env_file=Path("/nonexistent/.env"))
        except ConfigError as exc:
            pytest.fail(f"service {name}: {exc}")
        assert settings.store == "influxdb" and settings.influx_url == "http://influxdb:8086"
        assert settings.mqtt_host == "mosquitto" and settings.health_host == "0.0.0.0"
    collector_port = stack["services"]["collector"]["environment"]["ZEROCARBON_HEALTH_PORT"]
    assert stack["services"]["simulator"]["environment"]["ZEROCARBON_HEALTH_PORT"] != collector_port


def test_simulator_runs_only_in_its_profile(stack: dict[str, Any]) -> None:
    profiles = {name: service.get("profiles") for name, service in stack["services"].items()}
    assert profiles.pop("simulator") == ["simulator"]
    assert set(profiles.values()) == {None}


def test_no_secret_is_written_in_the_compose_file() -> None:
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    blocks = [raw["x-zerocarbon-service"]["environment"]] + [s.get("environment", {}) for s in raw["services"].values()]
    for block in blocks:
        assert not [k for k in block if any(word in k for word in ("PASSWORD", "TOKEN", "SECRET"))], block


def test_only_the_broker_and_the_dashboard_are_published(stack: dict[str, Any]) -> None:
    published = {name for name, service in stack["services"].items() if service.get("ports")}
    assert published == {"mosquitto", "dashboard"}
    # the console sits behind a TLS reverse proxy: loopback unless DASHBOARD_PUBLISH says otherwise
    assert stack["services"]["dashboard"]["ports"] == ["127.0.0.1:8050:8050/tcp"]


@pytest.mark.parametrize("path", ["deploy/.env", "deploy/influxdb.env", "deploy/mosquitto/passwd", ".env"])
def test_secret_files_are_git_ignored(path: str) -> None:
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, timeout=30)
    assert done.returncode == 0, f"{path} is not ignored by git"


def test_example_env_files_are_committed_placeholders() -> None:
    for example in ("deploy/.env.example", "deploy/influxdb.env.example"):
        text = (ROOT / example).read_text()
        secrets = [line for line in text.splitlines() if line.split("=")[0].endswith(("PASSWORD", "TOKEN"))]
        assert secrets and all("=CHANGE-ME" in line for line in secrets), example


def test_shards_override_runs_two_collectors_that_differ_only_in_shard_volume_and_name() -> None:
    done = compose_config("-f", "deploy/compose.shards.yml")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    one, two = services["collector"], services["collector-2"]
    assert (one["command"], two["command"]) == (["collect", "--shard", "1/2"], ["collect", "--shard", "2/2"])
    assert named_volumes(one) != named_volumes(two)
    assert set(named_volumes(two).values()) == {"collector-2-data"}
    env_one, env_two = dict(one["environment"]), dict(two["environment"])
    assert (env_one.pop("ZEROCARBON_INSTANCE_ID"), env_two.pop("ZEROCARBON_INSTANCE_ID")) == (
        "collector-1",
        "collector-2",
    )
    assert env_one == env_two, "collector-2 repeats the collector's settings"
    for key in ("image", "restart", "healthcheck", "depends_on"):
        assert one[key] == two[key], key


@pytest.mark.parametrize("service", ZEROCARBON_SERVICES)
def test_service_commands_are_real_zerocarbon_commands(stack: dict[str, Any], service: str) -> None:
    from typer.testing import CliRunner

    from zerocarbon.cli import app

    command = stack["services"][service]["command"]
    done = CliRunner().invoke(app, [*command, "--help"])
    assert done.exit_code == 0, f"`zerocarbon {' '.join(command)}` does not parse: {done.output}"


def test_shard_commands_parse() -> None:
    from typer.testing import CliRunner

    from zerocarbon.cli import app

    done = CliRunner().invoke(app, ["collect", "--shard", "2/2", "--help"])
    assert done.exit_code == 0 and "--shard" in done.output
