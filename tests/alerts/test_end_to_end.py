"""A storage unit's faults, read over real Modbus TCP, reach a real webhook, mosquitto and an SMTP server once
per channel; operators acknowledge and shelve from the command line; shelved alarms do not re-fire."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from alerts.lifecycle import AlarmState
from collectors.modbus import DevicePoller
from models.site import ModbusConnection
from tests.alerts.receivers import MqttRecorder, SmtpReceiver, WebhookReceiver, wait_until
from tests.support.modbus import RegisterServer
from zerocarbon.alarm_wiring import AlarmService, build_alarm_service
from zerocarbon.cli import app
from zerocarbon.settings import load_settings

RULES = [
    {
        "id": "pcs-fault",
        "priority": "critical",
        "points": ["storage-*.state"],
        "on_delay_s": 2,
        "condition": {"type": "state", "states": ["FAULT"]},
    },
    {"id": "bms", "priority": "high", "points": ["storage-*.bms_alarms"], "condition": {"type": "bitfield"}},
    {"id": "comm", "priority": "high", "points": ["storage-1.soc_pct"], "condition": {"type": "stale", "intervals": 3}},
]
NORMAL = [0, 0, 550, 250, 180, 1, 0]  # p_kw 0 (int32, 2 words), soc 55.0 %, cell max 25.0, min 18.0, IDLE, no flags


class StorageUnit:
    """storage-1 of the site, served by a real pymodbus server and read by the real collector poller."""

    def __init__(self, site, server: RegisterServer) -> None:  # type: ignore[no-untyped-def]
        device = site.device("storage-1")
        self.device = device.model_copy(update={"connection": ModbusConnection(host="127.0.0.1", port=server.port)})
        self.server = server
        self.poller = DevicePoller(self.device, site.template_of(device))
        self.loop = asyncio.new_event_loop()
        server.set_registers(0, NORMAL)

    def poll(self):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(self.poller.poll("default"))

    def close(self) -> None:
        self.poller.close()
        self.loop.close()


@pytest.fixture
def unit(site, register_server: RegisterServer) -> Iterator[StorageUnit]:  # type: ignore[no-untyped-def]
    u = StorageUnit(site, register_server)
    yield u
    u.close()


@pytest.fixture
def service(rules_for, site, webhook: WebhookReceiver, smtp: SmtpReceiver, mosquitto) -> Iterator[AlarmService]:  # type: ignore[no-untyped-def]
    channels = [
        {"channel": "webhook", "url": webhook.url},
        {"channel": "mqtt", "port": mosquitto.port},
        {"channel": "email", "host": "127.0.0.1", "port": smtp.port, "sender": "zc@example.org", "to": ["duty@x.org"]},
    ]
    s = build_alarm_service(load_settings(), site, rules_for(RULES, notifications=channels))
    yield s
    s.close()


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["alarms", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_faults_are_notified_once_per_channel_acknowledged_cleared_and_shelved(
    unit: StorageUnit, service: AlarmService, webhook: WebhookReceiver, smtp: SmtpReceiver, mosquitto
) -> None:  # type: ignore[no-untyped-def]
    engine, journal = service.engine, service.journal
    mqtt = MqttRecorder(mosquitto.port, "zerocarbon/alarms/#")
    engine.put(unit.poll())
    assert engine.flush() and journal.active() == []

    # PCS goes to FAULT: raised by the clock exactly when the 2 s on-delay runs out, not before
    unit.server.set_registers(5, [4])
    readings = unit.poll()
    t1 = next(r.ts for r in readings if r.point_id == "storage-1.state")
    engine.put(readings)
    engine.tick(t1 + 1.9)
    assert engine.flush() and journal.active() == []
    engine.tick(t1 + 2.0)
    engine.put(unit.poll())  # the fault persists: repeats make no new alarm
    assert engine.flush()
    [fault] = journal.active()
    assert (fault.message, fault.raised_at, fault.state) == ("storage-1.state state FAULT", t1 + 2.0, "active_unack")

    # acknowledged from the command line, then the fault clears: closed
    assert "acknowledged by op.zhang: now active_ack" in cli("ack", str(fault.id), "--user", "op.zhang")
    unit.server.set_registers(5, [1])
    engine.put(unit.poll())
    assert engine.flush() and journal.get(fault.id).state is AlarmState.NORMAL

    # a BMS over-temperature flag, decoded to text; shelved with a reason; flaps while shelved: no re-fire
    unit.server.set_registers(6, [1 << 2])
    engine.put(unit.poll())
    assert engine.flush()
    [bms] = journal.active()
    assert bms.message == "storage-1.bms_alarms: OVER_TEMPERATURE (0x0004)"
    assert wait_until(lambda: len(webhook.bodies) == 3 and len(mqtt.messages) == 3 and len(smtp.messages) == 3)
    cli("shelve", str(bms.id), "--minutes", "30", "--reason", "cooling fan replaced", "--user", "op.zhang")
    for flags in (0, 1 << 2, 0, 1 << 2):
        unit.server.set_registers(6, [flags])
        engine.put(unit.poll())
    engine.tick()
    assert engine.flush() and journal.get(bms.id).state is AlarmState.ACTIVE_UNACK  # tracked, not annunciated
    assert "0 open alarm(s)" in cli("list") and "cooling fan replaced" in cli("list", "--all")

    # the unit stops answering: comm loss at once (the collector marks its points), notified
    unit.server.stop()
    engine.put(unit.poll())
    assert engine.flush()
    expected = [("pcs-fault", "raised"), ("pcs-fault", "cleared"), ("bms", "raised"), ("comm", "raised")]
    assert wait_until(lambda: len(webhook.bodies) == 4 and len(mqtt.messages) == 4 and len(smtp.messages) == 4)
    for channel in service.channels:
        assert channel.flush()
    assert [(b["rule_id"], b["event"]) for b in webhook.bodies] == expected
    assert [(p["rule_id"], p["event"]) for _, p in mqtt.messages] == expected
    assert [m["data"].split("rule_id: ")[1].splitlines()[0] for m in smtp.messages] == [r for r, _ in expected]
    history = cli("history", "--alarm", str(bms.id))
    assert "shelved" in history and "op.zhang" in history and "re-raised" in history
    mqtt.stop()
