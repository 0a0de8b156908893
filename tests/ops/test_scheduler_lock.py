"""Only one instance runs the scheduled jobs: a file lock for DuckDB, a lease row for InfluxDB (real influxd)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models.errors import StoreUnavailable
from tests.support.processes import Influxd, free_port
from zerocarbon.health import metrics
from zerocarbon.scheduler_lock import FileLease, InfluxLease, open_scheduler_lock, run_if_leader
from zerocarbon.settings import load_settings

HOLD_LOCK = """
import sys, time
from pathlib import Path
from zerocarbon.scheduler_lock import FileLease
lease = FileLease(Path(sys.argv[1]), holder="other-host:1")
print("held" if lease.try_acquire() else "refused", flush=True)
time.sleep(60)
"""


def test_file_lease_excludes_another_process_until_it_dies(tmp_path: Path) -> None:
    path = tmp_path / "data" / "scheduler.lock"
    other = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        mine = FileLease(path, holder="this-host:2")
        assert not mine.try_acquire()
        assert mine.current_holder() == "other-host:1"
        other.kill()  # kill -9: no release, the kernel drops the flock
        other.wait(timeout=10)
        assert mine.try_acquire()
        assert mine.try_acquire(), "renewing a held lease keeps it"
        assert mine.current_holder() == "this-host:2"
        mine.release()
        assert FileLease(path, holder="third:3").try_acquire()
    finally:
        other.kill()
        other.wait(timeout=10)


def influx_lease(
    influxd: Influxd, db: str, holder: str, name: str = "scheduler", ttl_s: float = 30.0, settle_s: float = 0.2
) -> InfluxLease:
    return InfluxLease(influxd.url, db, name=name, holder=holder, ttl_s=ttl_s, settle_s=settle_s)


def race(leases: list[InfluxLease]) -> list[bool]:
    results = [False] * len(leases)
    start = threading.Barrier(len(leases))

    def claim(i: int) -> None:
        start.wait()
        results[i] = leases[i].try_acquire()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(leases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_influx_lease_has_exactly_one_winner_among_concurrent_claims(influxd: Influxd) -> None:
    influxd.create_database("ops_lease_race")
    for round_no in range(3):
        name = f"race-{round_no}"
        leases = [influx_lease(influxd, "ops_lease_race", f"host-{i}", name=name, settle_s=0.5) for i in range(4)]
        results = race(leases)
        assert results.count(True) == 1, results
        winner = leases[results.index(True)]
        assert leases[0].current() is not None and leases[0].current().holder == winner.holder  # type: ignore[union-attr]
        assert winner.try_acquire(), "the holder renews"
        assert not any(lease.try_acquire() for lease in leases if lease is not winner)


def test_influx_lease_lapses_after_ttl_and_release_frees_it_at_once(influxd: Influxd) -> None:
    influxd.create_database("ops_lease_ttl")
    # 3 s: each try is two HTTP round trips and a 0.2 s settle, which took most of a 1 s ttl on a loaded host
    a = influx_lease(influxd, "ops_lease_ttl", "host-a", ttl_s=3.0)
    b = influx_lease(influxd, "ops_lease_ttl", "host-b", ttl_s=3.0)
    assert a.try_acquire()
    assert not b.try_acquire()
    time.sleep(3.1)  # host-a died: no renewal within ttl_s
    assert b.try_acquire()
    assert not a.try_acquire()
    b.release()
    assert a.try_acquire(), "a released lease is free without waiting for its ttl"


def test_influx_lease_unreachable_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    lease = InfluxLease(url, "zerocarbon", holder="h", settle_s=0.0)
    with pytest.raises(StoreUnavailable, match=rf"{url}.*ZEROCARBON_INFLUX_URL"):
        lease.try_acquire()


def test_only_the_leader_runs_the_job(influxd: Influxd) -> None:
    influxd.create_database("ops_lease_jobs")
    ran: list[str] = []
    not_leader = {"job": "rollups", "outcome": "not_leader"}
    skipped_before = metrics.value("zerocarbon_scheduled_job_runs_total", not_leader)
    leases = [influx_lease(influxd, "ops_lease_jobs", f"replica-{i}", name="rollups") for i in range(3)]
    for _ in range(2):  # two ticks: the same single replica runs the job each time
        for lease in leases:
            run_if_leader(lease, "rollups", lambda h=lease.holder: ran.append(h))
    assert len(ran) == 2 and ran[0] == ran[1]
    # 3 replicas x 2 ticks, one leader per tick: 4 skipped runs
    assert metrics.value("zerocarbon_scheduled_job_runs_total", not_leader) - skipped_before == 4


def test_unreachable_store_means_not_leader_and_no_run() -> None:
    lease = InfluxLease(f"http://127.0.0.1:{free_port()}", "zerocarbon", holder="h", settle_s=0.0)
    ran: list[int] = []
    assert run_if_leader(lease, "report", lambda: ran.append(1)) is False
    assert ran == [] and metrics.value("zerocarbon_scheduler_leader") == 0


def test_store_setting_chooses_the_lease_kind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(tmp_path / "d"))
    lock = open_scheduler_lock(load_settings())
    assert isinstance(lock, FileLease) and lock.path == tmp_path / "d" / "scheduler.lock"
    monkeypatch.setenv("ZEROCARBON_STORE", "influxdb")
    monkeypatch.setenv("ZEROCARBON_INSTANCE_ID", "collector-2")
    lock = open_scheduler_lock(load_settings())
    assert isinstance(lock, InfluxLease) and lock.holder == "collector-2" and lock.ttl_s == 30.0


def test_a_partial_lease_row_is_read_again_and_never_guessed(influxd: Influxd) -> None:
    import httpx

    from storage.influx_lease import LEASE_MEASUREMENT

    influxd.create_database("ops_lease_partial")
    lease = influx_lease(influxd, "ops_lease_partial", "host-a", name="partial")
    assert lease.try_acquire() and lease.current().holder == "host-a"  # type: ignore[union-attr]
    # a newer point carrying the holder only: what a reader racing another claim's write can see
    line = f'{LEASE_MEASUREMENT},name=partial holder="host-b" {time.time_ns()}'
    httpx.post(f"{influxd.url}/write", params={"db": "ops_lease_partial", "precision": "ns"}, content=line.encode())
    with pytest.raises(StoreUnavailable, match="partial"):
        lease.current()
    lease.close()
