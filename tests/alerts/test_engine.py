"""The engine turns readings into lifecycle edges: deadband, delays, rate, stale, stuck, decoded faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.engine import AlarmEngine
from alerts.journal import AlarmJournal
from alerts.lifecycle import Alarm
from models.reading import Quality, Reading

T0 = 1_780_000_000.0  # 2026-05-28, an arbitrary fixed instant


@pytest.fixture
def engine_for(rules_for, site, journal: AlarmJournal) -> Iterator:  # type: ignore[no-untyped-def]
    engines: list[AlarmEngine] = []

    def build(rules: list[dict], **top: object) -> AlarmEngine:
        engines.append(AlarmEngine(rules_for(rules, **top), site, journal))
        return engines[-1]

    yield build
    for e in engines:
        e.close()


def feed(engine: AlarmEngine, point: str, values: list[tuple[float, float | None]], q: Quality = Quality.GOOD) -> None:
    for dt, value in values:
        engine.put([Reading(point, T0 + dt, value, q)])


def open_alarms(engine: AlarmEngine) -> list[Alarm]:
    assert engine.flush()
    return engine.journal.active(now=T0)


def events(engine: AlarmEngine) -> list[str]:
    assert engine.flush()
    return [e.event for e in reversed(engine.journal.history())]


HOT = {"id": "hot", "points": ["storage-1.cell_temp_max_c"], "condition": {"type": "high", "limit": 45, "deadband": 3}}


def test_deadband_holds_a_flapping_temperature_to_one_alarm(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for([HOT])
    # 46 raises; 44.9, 45.5, 43 stay inside the deadband (clear only below 45 - 3 = 42); 41.9 clears
    feed(engine, "storage-1.cell_temp_max_c", [(0, 44), (1, 46), (2, 44.9), (3, 45.5), (4, 43), (5, 41.9), (6, 44)])
    assert events(engine) == ["raised", "cleared"]
    [alarm] = open_alarms(engine)  # cleared but not yet acknowledged
    assert alarm.message == "storage-1.cell_temp_max_c = 46 degC (high limit 45)"


def test_on_delay_ignores_short_excursions_and_raises_when_it_runs_out(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for([{**HOT, "on_delay_s": 30}])
    feed(engine, "storage-1.cell_temp_max_c", [(0, 46), (10, 40), (20, 46), (40, 47)])  # restarts at 20
    engine.tick(T0 + 49.9)
    assert open_alarms(engine) == []
    engine.tick(T0 + 50.0)  # 20 + 30: raised by the clock, no new reading needed
    [alarm] = open_alarms(engine)
    assert alarm.raised_at == T0 + 50.0 and alarm.value == 47


def test_off_delay_keeps_the_alarm_through_a_brief_recovery(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for([{**HOT, "off_delay_s": 60}])
    feed(engine, "storage-1.cell_temp_max_c", [(0, 50), (10, 30), (30, 50), (40, 30)])
    engine.tick(T0 + 99.0)
    assert events(engine) == ["raised"]
    engine.tick(T0 + 100.0)  # 40 + 60
    assert events(engine) == ["raised", "cleared"]


def test_rate_of_change_in_either_direction(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [{"id": "step", "points": ["grid-meter-1.p_kw"], "condition": {"type": "rate", "max_per_minute": 3000}}]
    )
    # 2000 -> 2200 in 5 s = 2400 kW/min: fine; 2200 -> 1800 in 5 s = 4800 kW/min: alarm; then steady: clears
    feed(engine, "grid-meter-1.p_kw", [(0, 2000), (5, 2200), (10, 1800), (15, 1790)])
    assert events(engine) == ["raised", "cleared"]
    assert engine.journal.active(now=T0)[0].message == "grid-meter-1.p_kw changing 4.8e+03 kW/min (limit 3000 kW/min)"


def test_stale_data_and_comm_loss_readings_raise_comm_loss(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for([{"id": "comm", "points": ["pv-inv-0[12].W"], "condition": {"type": "stale", "intervals": 3}}])
    feed(engine, "pv-inv-01.W", [(0, 5000.0)])
    engine.tick(T0 + 15.0)  # 3 intervals x 5 s: not yet over the limit
    assert open_alarms(engine) == []
    feed(engine, "pv-inv-02.W", [(16, None)], Quality.COMM_LOSS)  # the collector says so: at once
    engine.tick(T0 + 15.1)
    alarms = {a.point_id: a for a in open_alarms(engine)}
    assert sorted(alarms) == ["pv-inv-01.W", "pv-inv-02.W"]
    assert alarms["pv-inv-01.W"].message == "pv-inv-01.W: no data from pv-inv-01 (comm loss; limit 15 s)"
    feed(engine, "pv-inv-01.W", [(20, 5100.0)])
    assert events(engine).count("cleared") == 1


def test_stuck_sensor_is_a_flatline(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [
            {
                "id": "stuck",
                "points": ["pv-weather.poa_wm2"],
                "condition": {"type": "flatline", "for_s": 600, "tolerance": 0.5},
            }
        ]
    )
    feed(engine, "pv-weather.poa_wm2", [(t, 612.0 + (0.3 if t % 2 else 0)) for t in range(0, 600, 60)])
    assert open_alarms(engine) == []  # 540 s so far
    feed(engine, "pv-weather.poa_wm2", [(600, 612.0)])
    [alarm] = open_alarms(engine)
    assert alarm.message == "pv-weather.poa_wm2 stuck at 612 W/m2 for at least 600 s"


def test_event_bitfield_and_states_are_decoded_to_text(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [
            {
                "id": "evt",
                "points": ["pv-inv-*.Evt1"],
                "condition": {"type": "bitfield", "flags": ["GROUND_FAULT", "OVER_TEMP"]},
            },
            {"id": "st", "points": ["pv-inv-*.St"], "condition": {"type": "state", "states": ["FAULT"]}},
            {"id": "wt", "points": ["wind-turbine-*.fault_code"], "condition": {"type": "fault_code"}},
        ]
    )
    feed(engine, "pv-inv-05.Evt1", [(0, 1 << 6)])  # MANUAL_SHUTDOWN only: not in the rule's flags
    feed(engine, "pv-inv-05.Evt1", [(1, (1 << 0) | (1 << 7) | (1 << 6))])  # GROUND_FAULT + OVER_TEMP (+ manual)
    feed(engine, "pv-inv-05.St", [(1, 4), (2, 7)])  # MPPT, then FAULT
    feed(engine, "wind-turbine-2.fault_code", [(1, 0), (2, 23)])
    messages = sorted(a.message for a in open_alarms(engine))
    assert messages == [
        "pv-inv-05.Evt1: GROUND_FAULT, OVER_TEMP (0x00C1)",
        "pv-inv-05.St state FAULT",
        "wind-turbine-2.fault_code: fault code 23",
    ]


def test_one_rule_watches_each_point_separately(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [{"id": "soc-low", "role": "soc", "priority": "high", "condition": {"type": "low", "limit": 10}}]
    )
    feed(engine, "storage-1.soc_pct", [(0, 8.0), (5, 7.5)])
    feed(engine, "storage-2.soc_pct", [(0, 55.0)])
    [alarm] = open_alarms(engine)
    assert (alarm.source, alarm.priority) == ("soc-low:storage-1.soc_pct", "high")


def test_carbon_budget_rule_watches_a_value_the_wiring_feeds(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [{"id": "budget", "points": ["carbon.month_budget_used_pct"], "condition": {"type": "high", "limit": 100}}],
        derived_points=[{"id": "carbon.month_budget_used_pct", "unit": "%"}],
    )
    feed(engine, "carbon.month_budget_used_pct", [(0, 97.0), (900, 103.5)])
    [alarm] = open_alarms(engine)
    assert alarm.message == "carbon.month_budget_used_pct = 103.5 % (high limit 100)"


def test_unshelving_annunciates_an_alarm_that_is_still_active(rules_for, site, journal, webhook) -> None:  # type: ignore[no-untyped-def]
    from alerts.notify.channels import open_channel
    from alerts.rules import WebhookChannel
    from tests.alerts.receivers import wait_until

    channel = open_channel(WebhookChannel(channel="webhook", url=webhook.url, dedup_s=0), 0)
    engine = AlarmEngine(rules_for([HOT]), site, journal, [channel])
    feed(engine, "storage-1.cell_temp_max_c", [(0, 50.0)])
    [alarm] = open_alarms(engine)
    journal.shelve(alarm.id, "op.wu", "sensor swap", 10, now=T0 + 1)
    feed(engine, "storage-1.cell_temp_max_c", [(2, 30.0), (3, 50.0)])  # clears and returns while shelved: quiet
    engine.tick(T0 + 4)
    journal.unshelve(alarm.id, "op.wu", now=T0 + 5)
    engine.tick(T0 + 6)  # the engine sees the shelf ended; the alarm is still active: annunciated again
    assert engine.flush() and channel.flush()
    assert wait_until(lambda: len(webhook.bodies) == 2)
    assert [(b["alarm_id"], b["event"]) for b in webhook.bodies] == [(alarm.id, "raised"), (alarm.id, "raised")]
    assert [e.event for e in reversed(journal.history(alarm.id))] == [
        "raised",
        "shelved",
        "cleared",
        "re-raised",
        "unshelved",
        "shelve_expired",
    ]
    engine.close()
    channel.close()


def test_a_restarted_engine_clears_alarms_raised_before_the_restart(rules_for, site, journal) -> None:  # type: ignore[no-untyped-def]
    rules = rules_for([HOT])
    first = AlarmEngine(rules, site, journal)
    feed(first, "storage-1.cell_temp_max_c", [(0, 50.0)])
    assert first.flush()
    first.close()
    second = AlarmEngine(rules, site, journal)  # e.g. after a reboot; the cell has cooled meanwhile
    feed(second, "storage-1.cell_temp_max_c", [(60, 44.0), (65, 30.0)])  # 44 is inside the deadband: held
    assert events(second) == ["raised", "cleared"]
    second.close()


def test_flatline_does_not_judge_the_night(engine_for) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(
        [
            {
                "id": "stuck",
                "points": ["pv-weather.poa_wm2"],
                "condition": {"type": "flatline", "for_s": 600, "judge_above": 20},
            }
        ]
    )
    feed(engine, "pv-weather.poa_wm2", [(t, 0.0) for t in range(0, 7200, 300)])  # two hours of night
    assert open_alarms(engine) == []
    feed(engine, "pv-weather.poa_wm2", [(7200 + t, 150.0) for t in range(0, 700, 100)])  # stuck after sunrise
    [alarm] = open_alarms(engine)
    assert alarm.raised_at == T0 + 7200 + 600
