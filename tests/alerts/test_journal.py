"""The ISA-18.2 lifecycle in the journal: states, who and when, shelving, and two processes at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alerts.journal import AlarmJournal
from alerts.lifecycle import AlarmState
from models.errors import LifecycleError

SOURCE = ("pv-inverter-fault-state:pv-inv-03.St", "pv-inverter-fault-state", "pv-inv-03.St", "critical")


def raise_(journal: AlarmJournal, ts: float, message: str = "pv-inv-03.St state FAULT"):  # type: ignore[no-untyped-def]
    return journal.condition_raised(*SOURCE, message, 7.0, ts)


def test_ack_then_clear_closes_the_alarm_and_every_step_is_stored(journal: AlarmJournal) -> None:
    change = raise_(journal, 1000.0)
    assert change is not None and change.event == "raised" and not change.shelved
    alarm_id = change.alarm.id
    assert journal.acknowledge(alarm_id, "li.wei", "crew sent", now=1010.0).state is AlarmState.ACTIVE_ACK
    cleared = journal.condition_cleared(SOURCE[0], "back to normal", 4.0, 1100.0)
    assert cleared is not None and cleared.alarm.state is AlarmState.NORMAL and cleared.alarm.closed_at == 1100.0
    events = [(e.event, e.state, e.user, e.ts) for e in reversed(journal.history(alarm_id))]
    assert events == [
        ("raised", AlarmState.ACTIVE_UNACK, "system", 1000.0),
        ("acknowledged", AlarmState.ACTIVE_ACK, "li.wei", 1010.0),
        ("cleared", AlarmState.NORMAL, "system", 1100.0),
    ]
    assert journal.active() == []


def test_clear_before_ack_waits_in_cleared_unacknowledged(journal: AlarmJournal) -> None:
    alarm_id = raise_(journal, 1000.0).alarm.id  # type: ignore[union-attr]
    assert journal.condition_cleared(SOURCE[0], "ok", 1.0, 1050.0).alarm.state is AlarmState.CLEARED_UNACK  # type: ignore[union-attr]
    assert [a.id for a in journal.active()] == [alarm_id]  # the operator still has to see it
    assert journal.acknowledge(alarm_id, "li.wei", now=1060.0).state is AlarmState.NORMAL
    with pytest.raises(LifecycleError, match="nothing to acknowledge"):
        journal.acknowledge(alarm_id, "li.wei", now=1070.0)


def test_repeated_triggers_never_make_new_alarms(journal: AlarmJournal) -> None:
    first = raise_(journal, 1000.0)
    assert raise_(journal, 1001.0) is None  # already active: nothing happens
    journal.condition_cleared(SOURCE[0], "ok", 1.0, 1002.0)
    again = raise_(journal, 1003.0)  # cleared but unacknowledged: the same alarm comes back
    assert again is not None and again.alarm.id == first.alarm.id and again.alarm.state is AlarmState.ACTIVE_UNACK  # type: ignore[union-attr]
    assert [e.event for e in reversed(journal.history())] == ["raised", "cleared", "re-raised"]


def test_shelving_needs_a_reason_a_limit_and_ends(journal: AlarmJournal) -> None:
    alarm_id = raise_(journal, 1000.0).alarm.id  # type: ignore[union-attr]
    with pytest.raises(LifecycleError, match="needs a reason"):
        journal.shelve(alarm_id, "li.wei", " ", 30, now=1000.0)
    with pytest.raises(LifecycleError, match="max_shelve_minutes"):
        journal.shelve(alarm_id, "li.wei", "maintenance", 600, now=1000.0, max_minutes=480)
    shelved = journal.shelve(alarm_id, "li.wei", "string 3 fuse replaced", 30, now=1000.0)
    assert shelved.shelved_until == 1000.0 + 30 * 60 and shelved.shelve_reason == "string 3 fuse replaced"
    assert journal.active(include_shelved=False, now=1001.0) == []
    assert journal.expire_shelves(now=2000.0) == []  # not yet: 1000 + 1800 = 2800
    back = journal.expire_shelves(now=2800.0)
    assert [a.id for a in back] == [alarm_id] and back[0].shelved_until is None
    assert [e.event for e in reversed(journal.history(alarm_id))] == ["raised", "shelved", "shelve_expired"]


def test_cli_process_acknowledges_while_this_process_holds_the_journal(tmp_path: Path) -> None:
    journal = AlarmJournal(tmp_path / "alarms.sqlite")
    alarm_id = raise_(journal, 1000.0).alarm.id  # type: ignore[union-attr]
    code = (
        "import sys; from alerts.journal import AlarmJournal; "
        f"AlarmJournal(sys.argv[1]).acknowledge({alarm_id}, 'night.shift', 'seen')"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "alarms.sqlite")], check=True, timeout=60)
    # the engine's next edge sees the other process's acknowledgement: clearing now closes the alarm
    cleared = journal.condition_cleared(SOURCE[0], "ok", 1.0, 1100.0)
    assert cleared is not None and cleared.alarm.state is AlarmState.NORMAL
    assert cleared.alarm.acked_by == "night.shift"
    journal.close()
