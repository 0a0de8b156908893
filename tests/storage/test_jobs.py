"""The scheduled rollup job and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from storage.duckdb_store import DuckDBStore
from storage.jobs import rollup_job
from storage.retention import Retention
from zerocarbon.settings import load_settings
from zerocarbon.store_wiring import open_store, schedule_rollups

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def minutes(pid: str, n: int, start: datetime = T0) -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.date_range(start, periods=n, freq="1min", tz="UTC"), "point_id": pid,
                         "value": np.arange(float(n)), "quality": "good"})


def test_rollup_job_builds_pending_rollups_and_applies_retention(tmp_path) -> None:
    store = DuckDBStore(tmp_path / "s.duckdb", retention=Retention(raw_days=30))
    store.write_frame(minutes("m.e", 60, T0 - timedelta(days=40)))  # older than 30 days: raw goes
    store.write_frame(minutes("m.e", 60))
    rollup_job(store, now=T0 + timedelta(hours=1))
    raw = store.read(["m.e"], T0 - timedelta(days=50), T0 + timedelta(days=1))
    assert raw["ts"].min() == pd.Timestamp(T0)  # the 40-day-old hour was deleted
    days = store.read(["m.e"], T0 - timedelta(days=50), T0 + timedelta(days=1), "day")
    assert len(days) == 2  # rollups outlive raw data: both days are still there
    store.close()


def test_open_store_defaults_to_duckdb_in_the_data_dir(tmp_path, monkeypatch) -> None:
    settings = load_settings(env_file=tmp_path / "none.env", data_dir=tmp_path / "data")
    store = open_store(settings)
    assert isinstance(store, DuckDBStore) and store.timezone == "Asia/Shanghai"
    assert (tmp_path / "data" / "zerocarbon.duckdb").exists()
    store.close()


def test_schedule_rollups_adds_one_interval_job(tmp_path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    store = DuckDBStore(":memory:")
    schedule_rollups(scheduler, store, every_s=30)
    assert [job.id for job in scheduler.get_jobs()] == ["storage-rollups"]
    store.close()


def test_scheduled_job_rolls_up_while_writers_keep_writing(tmp_path) -> None:
    import threading
    import time

    from apscheduler.schedulers.background import BackgroundScheduler

    from models.reading import Reading

    store = DuckDBStore(tmp_path / "live.duckdb")
    scheduler = BackgroundScheduler()
    schedule_rollups(scheduler, store, every_s=0.2)
    scheduler.start()
    stop = threading.Event()

    def collector() -> None:
        i = 0
        while not stop.is_set():
            store.write([Reading("m.e", T0.timestamp() + 60 * i, float(i))])
            i += 1

    writer = threading.Thread(target=collector)
    writer.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and store.read(["m.e"], T0, T0 + timedelta(days=3), "hour").empty:
            time.sleep(0.1)
    finally:
        stop.set()
        writer.join()
        scheduler.shutdown()
    hours = store.read(["m.e"], T0, T0 + timedelta(days=3), "hour")
    assert not hours.empty and hours["count"].sum() > 0  # the job ran on its own while readings arrived
    store.close()


def test_scheduled_rollups_run_only_on_the_lease_holder(tmp_path) -> None:
    """Two instances sharing a data dir (or an InfluxDB): the one holding the scheduler lease rolls up."""
    import time

    from apscheduler.schedulers.background import BackgroundScheduler

    from zerocarbon.health import metrics
    from zerocarbon.scheduler_lock import FileLease

    store = DuckDBStore(tmp_path / "s.duckdb")
    store.write_frame(minutes("m.e", 60))
    leases = [FileLease(tmp_path / "scheduler.lock", holder) for holder in ("a", "b")]
    runs = {o: metrics.value("zerocarbon_scheduled_job_runs_total", {"job": "rollups", "outcome": o})
            for o in ("ok", "not_leader")}
    schedulers = [BackgroundScheduler() for _ in leases]
    for scheduler, lease in zip(schedulers, leases, strict=True):
        schedule_rollups(scheduler, store, every_s=0.2, lock=lease)
        scheduler.start()

    def counted() -> dict[str, float]:
        return {o: metrics.value("zerocarbon_scheduled_job_runs_total", {"job": "rollups", "outcome": o}) - v
                for o, v in runs.items()}

    try:  # until one instance has rolled up and the other has stood by (a fixed 0.5 s was short under load)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (store.read(["m.e"], T0, T0 + timedelta(days=1), "hour").empty
                                               or counted()["not_leader"] < 1):
            time.sleep(0.1)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        for lease in leases:
            lease.release()
    after = counted()
    assert len(store.read(["m.e"], T0, T0 + timedelta(days=1), "hour")) == 1
    assert after["ok"] >= 1 and after["not_leader"] >= 1  # one instance ran, the other stood by
    store.close()
