"""The Overview's alarm tile and the top bar's badge count the same alarms: open and not shelved."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path


def test_overview_tile_and_top_bar_both_count_open_unshelved_alarms(site, console_store, console_now,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path) -> None:
    from alerts.journal import AlarmJournal
    from dashboard.context import Console
    from dashboard.pages import overview
    from dashboard.pages.alarms import topbar_badge
    from zerocarbon.settings import Settings

    journal = AlarmJournal(tmp_path / "alarms.sqlite")
    console = Console(console_store, site, journal, Settings(data_dir=tmp_path),
                      clock=lambda: console_now - timedelta(minutes=5))
    try:
        now = time.time()
        ids = [journal.condition_raised(f"r{i}:p{i}", f"r{i}", f"pv-inv-0{i}.W", "high", f"alarm {i}", 1.0,
                                        now - 60 + i).alarm.id for i in range(1, 5)]
        assert overview.kpis(console).active_alarms == 4
        journal.shelve(ids[0], "operator", "sensor being replaced", 60)
        journal.condition_cleared("r2:p2", "back to normal", 0.0, now)
        journal.acknowledge(ids[1], "operator")  # cleared and acknowledged: back to normal, no longer open
        tile = overview.kpis(console).active_alarms  # read fresh, although today's energy is cached for 30 s
        badge, tone = topbar_badge(console, "en")
        assert tile == 2  # alarms 3 and 4: the shelved one and the closed one are not counted
        assert badge == "2 alarms" and "alerting" in tone
        assert topbar_badge(console, "zh")[0] == "2 条告警"
        for alarm_id in ids[2:]:
            journal.shelve(alarm_id, "operator", "maintenance window", 30)
        assert overview.kpis(console).active_alarms == 0
        assert topbar_badge(console, "en") == ("No alarms", "alarm-badge")
    finally:
        journal.close()
