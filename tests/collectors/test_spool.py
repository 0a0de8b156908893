"""The spool: nothing read is lost across store outages, restarts and kill -9; bounded with an alarm."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from collectors.spool import Spool, SpoolDrainer, decode, encode
from models.reading import Quality, Reading
from tests.collectors.conftest import SqliteWriter

ROOT = Path(__file__).resolve().parents[2]


def readings(n: int, start_ts: float = 1_760_000_000.0, device: str = "meter") -> list[Reading]:
    return [Reading(f"{device}.p{i % 7}", start_ts + i, float(i) if i % 5 else None,
                    Quality.GOOD if i % 5 else Quality.COMM_LOSS) for i in range(n)]


@given(st.lists(st.tuples(st.text(min_size=1).filter(lambda s: "\0" not in s), st.floats(0, 4e9),
                          st.one_of(st.none(), st.floats(allow_nan=False)), st.sampled_from(list(Quality))),
                min_size=1, max_size=50))
def test_records_round_trip(rows: list[tuple[str, float, float | None, Quality]]) -> None:
    batch = [Reading(*row) for row in rows]
    record = encode(batch)
    assert decode(len(batch), record[22:]) == batch  # 22-byte header


def test_everything_put_reaches_the_store_exactly_once(tmp_path: Path) -> None:
    spool, writer = Spool(tmp_path / "spool"), SqliteWriter(tmp_path / "store.sqlite")
    for i in range(10):
        spool.put(readings(100, start_ts=1_760_000_000 + 1000 * i))
    drainer = SpoolDrainer(spool, writer, batch_size=250)
    while drainer.drain_once():
        pass
    # 10 puts x 100 readings, distinct (point_id, ts): 1000 rows; nothing left waiting
    assert writer.count() == 1000 and spool.status()["depth"] == 0
    spool.close()


def test_store_outage_of_any_length_loses_nothing(tmp_path: Path) -> None:
    spool, writer = Spool(tmp_path / "spool"), SqliteWriter(tmp_path / "store.sqlite")
    writer.available = False
    drainer = SpoolDrainer(spool, writer, batch_size=300, idle_s=0.01, max_backoff_s=0.05).start()
    for i in range(20):
        spool.put(readings(50, start_ts=1_760_000_000 + 1000 * i))
        time.sleep(0.01)
    time.sleep(0.3)
    status = spool.status()
    assert writer.count() == 0 and status["depth"] == 20 * 50 and status["age_s"] > 0
    assert drainer.failures >= 2 and not drainer.store_ok
    writer.available = True
    drainer.stop(flush_timeout_s=10)
    # 20 puts x 50 readings = 1000 in, 1000 out
    assert writer.count() == 1000 and spool.status()["depth"] == 0 and drainer.store_ok
    spool.close()


def test_restart_replays_unacknowledged_readings(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.put(readings(300))
    writer = SqliteWriter(tmp_path / "store.sqlite")
    drainer = SpoolDrainer(spool, writer, batch_size=100)
    spool.put(readings(200, start_ts=1_770_000_000))
    assert drainer.drain_once() == 300  # whole records: the first put's 300
    spool.close()
    again = Spool(tmp_path / "spool")
    assert again.status()["depth"] == 200
    while SpoolDrainer(again, writer).drain_once():
        pass
    assert writer.count() == 500
    again.close()


def test_segments_rotate_and_are_deleted_once_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", segment_bytes=4096)
    for i in range(40):
        spool.put(readings(20, start_ts=1_760_000_000 + 100 * i))
    assert len(list((tmp_path / "spool").glob("*.seg"))) > 3
    writer = SqliteWriter(tmp_path / "store.sqlite")
    drainer = SpoolDrainer(spool, writer, batch_size=100)
    while drainer.drain_once():
        pass
    assert writer.count() == 800 and len(list((tmp_path / "spool").glob("*.seg"))) == 1  # only the open one
    assert spool.status()["bytes"] == 0
    spool.close()


def test_put_never_fsyncs_a_full_segment_on_the_callers_thread(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    synced_on: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced_on.append(threading.current_thread().name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    spool = Spool(tmp_path / "spool", segment_bytes=4096, sync_interval_s=0.05)
    for i in range(40):  # rotates several times
        spool.put(readings(20, start_ts=1_760_000_000 + 100 * i))
    assert "MainThread" not in synced_on  # put() ran on this thread: no fsync there
    deadline = time.monotonic() + 5
    while spool._retired and time.monotonic() < deadline:  # the sync thread fsyncs and closes them
        time.sleep(0.01)
    assert not spool._retired and "spool-sync" in synced_on
    spool.close()
    assert SpoolDrainer(Spool(tmp_path / "spool"), SqliteWriter(tmp_path / "s.sqlite"), batch_size=1000).drain_once()


def test_torn_record_after_a_crash_is_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.put(readings(10))
    spool.close()
    segment = sorted((tmp_path / "spool").glob("*.seg"))[-1]
    with segment.open("ab") as f:
        f.write(encode(readings(5, start_ts=1_780_000_000))[:30])  # a write cut short
    again = Spool(tmp_path / "spool")
    writer = SqliteWriter(tmp_path / "store.sqlite")
    while SpoolDrainer(again, writer).drain_once():
        pass
    assert writer.count() == 10
    again.put(readings(3, start_ts=1_790_000_000))  # the new segment goes on
    while SpoolDrainer(again, writer).drain_once():
        pass
    assert writer.count() == 13
    again.close()


def test_full_spool_raises_an_alarm_before_refusing(tmp_path: Path) -> None:
    record = len(encode(readings(10)))
    spool = Spool(tmp_path / "spool", max_bytes=10 * record)
    for i in range(8):
        spool.put(readings(10, start_ts=1_760_000_000 + 100 * i))
    assert spool.status()["alarm"] == "nearly_full" and spool.status()["dropped"] == 0  # 80 % reached
    for i in range(8, 12):
        spool.put(readings(10, start_ts=1_760_000_000 + 100 * i))
    status = spool.status()
    # 10 records fit; the 11th and 12th (20 readings) are refused and counted
    assert status["alarm"] == "full" and status["dropped"] == 20 and status["depth"] == 100
    assert status["bytes"] <= 10 * record
    spool.close()


WRITER_SCRIPT = """
import sys, time
from collectors.spool import Spool
from models.reading import Reading
spool = Spool(sys.argv[1], sync_interval_s=3600)  # no fsync: kill -9 must not need one
for i in range(int(sys.argv[2])):
    spool.put([Reading(f"dev.p{j}", 1_760_000_000 + i, float(j)) for j in range(10)])
print("done", flush=True)
time.sleep(60)
"""


def test_kill_9_after_put_loses_nothing(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(tmp_path / "spool"), "500"],
                            stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"done"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    spool = Spool(tmp_path / "spool")
    writer = SqliteWriter(tmp_path / "store.sqlite")
    while SpoolDrainer(spool, writer).drain_once():
        pass
    # 500 puts x 10 readings, each (point_id, ts) distinct
    assert writer.count() == 5000
    assert math.isclose(sum(v for _, _, v, _ in writer.rows()), 500 * sum(range(10)))
    spool.close()




def test_a_columnar_batch_spools_exactly_like_its_readings() -> None:
    from collectors.batch import ReadingBatch

    batch = ReadingBatch(("m.a", "m.b", "m.c"), 1_760_000_000.5, [1.5, math.nan, 3.0],
                         [Quality.GOOD, Quality.NOT_IMPLEMENTED, Quality.GOOD])
    as_list = list(batch)
    assert as_list == [Reading("m.a", 1_760_000_000.5, 1.5), Reading("m.b", 1_760_000_000.5, None,
                       Quality.NOT_IMPLEMENTED), Reading("m.c", 1_760_000_000.5, 3.0)]
    assert encode(batch) == encode(as_list) and batch[-1] == as_list[-1] and batch[1:] == as_list[1:]
