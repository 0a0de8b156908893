"""Feeding the engine from a store: in-process over DuckDB, and ``zerocarbon alarms run`` as its own process
over a real influxd, with an operator acknowledging from this process meanwhile."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alerts.engine import AlarmEngine
from alerts.journal import AlarmJournal
from alerts.lifecycle import AlarmState
from alerts.store_feed import StorePoller, watched_points
from models.reading import Quality, Reading
from storage.duckdb_store import DuckDBStore
from tests.alerts.conftest import write_rules
from tests.alerts.receivers import WebhookReceiver, wait_until

HOT = {"id": "hot", "points": ["storage-1.cell_temp_max_c"], "condition": {"type": "high", "limit": 45, "deadband": 3}}


def test_poller_feeds_each_new_reading_once(rules_for, site, journal: AlarmJournal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = rules_for([HOT])
    engine = AlarmEngine(rules, site, journal)
    store = DuckDBStore(tmp_path / "store.duckdb", timezone="Asia/Shanghai")
    poller = StorePoller(store, engine, watched_points(rules), lookback_s=120)
    now = time.time()
    store.write([Reading("storage-1.cell_temp_max_c", now - 10, 30.0), Reading("storage-1.soc_pct", now - 10, 50.0)])
    assert poller.poll(now) == 1  # only the watched point
    store.write([Reading("storage-1.cell_temp_max_c", now + 1, 47.0)])
    assert poller.poll(now + 2) == 1  # the window overlaps the last poll; the 30.0 is not fed again
    assert poller.poll(now + 3) == 0
    store.write([Reading("storage-1.cell_temp_max_c", now + 4, None, Quality.COMM_LOSS)])
    assert poller.poll(now + 5) == 1
    assert engine.flush()
    [alarm] = journal.active()
    assert alarm.message == "storage-1.cell_temp_max_c = 47 degC (high limit 45)"
    engine.close()
    store.close()


def test_alarms_run_as_its_own_process_over_influxdb(  # type: ignore[no-untyped-def]
    influxd, tmp_path: Path, webhook: WebhookReceiver
) -> None:
    from storage.influx_store import InfluxStore

    database = f"alarms{os.getpid()}"
    store = InfluxStore(influxd.url, database, timezone="Asia/Shanghai")
    rules = write_rules(tmp_path, [HOT], notifications=[{"channel": "webhook", "url": webhook.url}])
    env = {
        **os.environ,
        "ZEROCARBON_STORE": "influxdb",
        "ZEROCARBON_INFLUX_URL": influxd.url,
        "ZEROCARBON_INFLUX_DB": database,
        "ZEROCARBON_DATA_DIR": str(tmp_path / "data"),
    }
    cmd = [sys.executable, "-m", "zerocarbon", "alarms", "run", "--rules", str(rules), "--poll-s", "0.3"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        store.write([Reading("storage-1.cell_temp_max_c", time.time(), 49.5)])
        assert wait_until(lambda: len(webhook.bodies) == 1, 30), proc.stdout.read1().decode() if proc.stdout else ""
        assert webhook.bodies[0]["message"] == "storage-1.cell_temp_max_c = 49.5 degC (high limit 45)"
        journal = AlarmJournal(tmp_path / "data" / "alarms.sqlite")  # the operator, while the engine runs
        journal.acknowledge(webhook.bodies[0]["alarm_id"], "op.liu", "checking the cooling")
        store.write([Reading("storage-1.cell_temp_max_c", time.time(), 38.0)])
        assert wait_until(lambda: len(webhook.bodies) == 2, 30)
        assert webhook.bodies[1]["event"] == "cleared"
        assert journal.get(webhook.bodies[0]["alarm_id"]).state is AlarmState.NORMAL
        journal.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        store.close()


def test_carbon_budget_use_is_fed_from_the_store(site, rules_for, journal: AlarmJournal, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, date, datetime

    from carbon.budget import month_budget_used_pct
    from carbon.files import CarbonFiles
    from simulators.backfill import backfill
    from storage.energy import energy_by_role
    from zerocarbon.alarm_wiring import feed_budget_use

    carbon = CarbonFiles.in_dir(Path(__file__).resolve().parents[2] / "config")
    start, now = datetime(2026, 9, 30, 16, 0, tzinfo=UTC), datetime(2026, 10, 2, 16, 0, tzinfo=UTC)  # Oct 1-2 local
    store = DuckDBStore(tmp_path / "store.duckdb", timezone=site.info.timezone)
    backfill(store, site, start, now, step="30min", seed=3)
    store.update_rollups()
    used = month_budget_used_pct(store, site, now.timestamp(), carbon)
    # by hand: grid import of the two days x the CN-South location factor, against 7,200 t x 2/365 days
    energy = energy_by_role(store, site, start, now, by="hour")
    import_kwh = energy.loc[energy["role"] == "grid_import", "energy_kwh"].sum()
    factor = carbon.factors.select(
        "electricity_location", "CN-South", date(2026, 10, 1)
    )
    assert used == pytest.approx(100 * import_kwh * factor.value / (7_200_000 * 2 / 365), rel=1e-6)
    engine = AlarmEngine(
        rules_for(
            [{"id": "budget", "points": ["carbon.month_budget_used_pct"], "condition": {"type": "high", "limit": 100}}],
            derived_points=[{"id": "carbon.month_budget_used_pct", "unit": "%"}],
        ),
        site,
        journal,
    )
    feed_budget_use(engine, used, now.timestamp())
    assert engine.flush()
    [alarm] = journal.active()  # seed 3: the simulated first two days of October run over the pro-rata budget
    assert (
        alarm.rule_id == "budget" and alarm.message == f"carbon.month_budget_used_pct = {used:.6g} % (high limit 100)"
    )
    engine.close()
    store.close()
