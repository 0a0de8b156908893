"""Faults injected into the simulated service centre (real Modbus servers), read by the real collector poller:
inverter fault code, comm loss, stuck sensor and underperformance on a clear day each raise their alarm within
its delay, notified once per channel to a real webhook and mosquitto; acknowledged, cleared, shelved."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest

from alerts.engine import AlarmEngine
from alerts.journal import AlarmJournal
from alerts.lifecycle import Alarm, AlarmState
from alerts.notify.channels import BrokerDefaults, open_channels
from collectors.modbus import DevicePoller
from models.reading import Reading
from tests.alerts.receivers import MqttRecorder, WebhookReceiver, wait_until
from tests.support.simsite import start_simulated_site

# 10:00 on the simulator's clear autumn weekday, 600x faster than the wall clock: irradiance moves every tick
MORNING = datetime.fromisoformat("2026-10-14T10:00:00+08:00")
DEVICES = ["pv-inv-01", "pv-inv-03", "pv-inv-09", "pv-weather"]  # two batch-a inverters, one batch-b, weather
RULES = [
    {
        "id": "inv-fault",
        "priority": "critical",
        "points": ["pv-inv-*.St"],
        "on_delay_s": 1,
        "condition": {"type": "state", "states": ["FAULT"]},
    },
    {"id": "inv-events", "priority": "high", "points": ["pv-inv-*.Evt1"], "condition": {"type": "bitfield"}},
    {"id": "inv-comm", "priority": "high", "points": ["pv-inv-*.W"], "condition": {"type": "stale", "intervals": 3}},
    {
        "id": "pv-under",
        "priority": "medium",
        "points": ["pv-inv-0[139].W"],
        "on_delay_s": 1,
        "condition": {"type": "underperformance", "fraction": 0.6, "min_poa_wm2": 200},
    },
    {
        "id": "poa-stuck",
        "priority": "low",
        "points": ["pv-weather.poa_wm2"],
        "condition": {"type": "flatline", "for_s": 2.0},
    },
]


class SitePoller:
    def __init__(self, handle) -> None:  # type: ignore[no-untyped-def]
        site = handle.site
        self.pollers = [DevicePoller(site.device(d), site.template_of(site.device(d))) for d in DEVICES]
        self.loop = asyncio.new_event_loop()

    def poll(self) -> list[Reading]:
        return [r for p in self.pollers for r in self.loop.run_until_complete(p.poll("default"))]

    def close(self) -> None:
        for p in self.pollers:
            p.close()
        self.loop.close()


@pytest.fixture
def sim(site, mosquitto) -> Iterator:  # type: ignore[no-untyped-def]
    handle = start_simulated_site(site, None, start_time=MORNING, speed=600.0, tick_s=0.25)
    yield handle
    handle.stop()


def run_until(engine: AlarmEngine, poller: SitePoller, done, timeout_s: float = 60.0,  # type: ignore[no-untyped-def]
              rounds: list[tuple[float, float]] | None = None) -> None:
    """Poll, feed and tick every 0.2 s until ``done()`` (failing past ``timeout_s``, a deadline for a loaded
    host), or for ``timeout_s`` when ``done`` never holds; ``rounds`` gets each round's (start, end) wall time."""
    started = time.time()
    while time.time() - started < timeout_s:
        began = time.time()
        engine.put(poller.poll())
        engine.tick()
        assert engine.flush()
        if rounds is not None:
            rounds.append((began, time.time()))
        if done():
            return
        time.sleep(0.2)
    assert done is never, f"not reached within {timeout_s} s"


def never() -> bool:  # a done() that runs run_until for its whole time
    return False


def by_rule(journal: AlarmJournal, include_shelved: bool = True) -> dict[str, Alarm]:
    return {a.rule_id: a for a in journal.active(include_shelved=include_shelved)}


def test_simulated_faults_raise_notify_ack_clear_and_stay_quiet_while_shelved(  # type: ignore[no-untyped-def]
    sim, rules_for, tmp_path, mosquitto, webhook: WebhookReceiver
) -> None:
    journal = AlarmJournal(tmp_path / "alarms.sqlite")
    rules = rules_for(RULES, notifications=[{"channel": "webhook", "url": webhook.url}, {"channel": "mqtt"}])
    channels = open_channels(list(rules.file.notifications), BrokerDefaults(port=mosquitto.port))
    engine = AlarmEngine(rules, sim.site, journal, channels)
    recorder = MqttRecorder(mosquitto.port, "zerocarbon/alarms/#")
    poller = SitePoller(sim)
    try:
        # a healthy morning: both batches produce what the irradiance says (no underperformance)
        run_until(engine, poller, never, timeout_s=2.5)
        assert journal.active() == []

        # inverter 3 trips with a ground fault: St = FAULT after its 1 s on-delay, Evt1 decoded, power gone
        sim.fault("pv-inv-03", "inverter_fault", events=["GROUND_FAULT"])
        fault_seen = time.time()
        rounds: list[tuple[float, float]] = []
        run_until(engine, poller, lambda: {"inv-fault", "inv-events", "pv-under"} <= set(by_rule(journal)),
                  rounds=rounds)
        alarms = by_rule(journal)
        assert alarms["inv-events"].message == "pv-inv-03.Evt1: GROUND_FAULT (0x0001)"
        assert alarms["inv-fault"].message == "pv-inv-03.St state FAULT"
        # raised after its 1 s on-delay, within two poll rounds of it (counted in rounds: a loaded host
        # stretches each round, so a fixed 1 s allowance failed there)
        assert alarms["inv-fault"].raised_at - fault_seen >= 1.0
        due = next((i for i, (start, _) in enumerate(rounds) if start >= rounds[0][0] + 1.0), len(rounds))
        assert due + 1 >= len(rounds) - 1 or alarms["inv-fault"].raised_at <= rounds[due + 1][1]
        assert alarms["pv-under"].point_id == "pv-inv-03.W" and "0% of expected" in alarms["pv-under"].message

        # inverter 1 stops answering; the weather station's sensors freeze
        sim.fault("pv-inv-01", "comm_loss")
        sim.fault("pv-weather", "stuck")
        run_until(engine, poller, lambda: {"inv-comm", "poa-stuck"} <= set(by_rule(journal)))
        assert by_rule(journal)["inv-comm"].point_id == "pv-inv-01.W"

        # the operator acknowledges the fault; the inverter is repaired: the fault alarm closes
        journal.acknowledge(alarms["inv-fault"].id, "op.chen", "reset on site")
        sim.clear_fault("pv-inv-03")
        run_until(engine, poller, lambda: journal.get(alarms["inv-fault"].id).state is AlarmState.NORMAL)
        events_alarm = journal.get(alarms["inv-events"].id)
        assert events_alarm.state is AlarmState.CLEARED_UNACK

        # events alarm shelved for maintenance; the inverter trips again: no re-fire of the shelved alarm
        journal.shelve(events_alarm.id, "op.chen", "string 3 ground fault hunt", 30)
        sim.fault("pv-inv-03", "inverter_fault", events=["GROUND_FAULT"])
        run_until(
            engine,
            poller,
            lambda: journal.get(events_alarm.id).state is AlarmState.ACTIVE_UNACK and "inv-fault" in by_rule(journal),
        )
        assert "inv-events" not in by_rule(journal, include_shelved=False)

        for channel in channels:
            assert channel.flush()
        assert wait_until(lambda: len(recorder.messages) == len(webhook.bodies))
        raised = Counter((b["rule_id"], b["point_id"]) for b in webhook.bodies if b["event"] == "raised")
        assert raised == {
            ("inv-fault", "pv-inv-03.St"): 2,  # the first alarm, closed; a new one on the second trip
            ("inv-events", "pv-inv-03.Evt1"): 1,  # once: its return while shelved was not annunciated
            ("pv-under", "pv-inv-03.W"): 1,
            ("inv-comm", "pv-inv-01.W"): 1,
            ("poa-stuck", "pv-weather.poa_wm2"): 1,
        }
        assert sorted(b["alarm_id"] for b in webhook.bodies) == sorted(p["alarm_id"] for _, p in recorder.messages)
    finally:
        poller.close()
        recorder.stop()
        engine.close()
        for channel in channels:
            channel.close()
        journal.close()
