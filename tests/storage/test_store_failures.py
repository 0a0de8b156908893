"""What callers see when the store is not there: StoreUnavailable (the spool keeps the readings), and a
DuckDB file already opened by another process is named with the way out."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from models.errors import StoreError, StoreUnavailable
from models.reading import Reading
from storage.duckdb_store import DuckDBStore
from storage.influx_store import InfluxStore
from tests.support.processes import start_influxd

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_influx_down_raises_store_unavailable_and_recovers(fresh_influxd) -> None:
    store = InfluxStore(fresh_influxd.url, "outage")
    store.write([Reading("a.p", T0.timestamp(), 1.0)])
    fresh_influxd.kill()
    with pytest.raises(StoreUnavailable, match="did not answer"):
        store.write([Reading("a.p", T0.timestamp() + 60, 2.0)])
    again = start_influxd(fresh_influxd.workdir, port=fresh_influxd.port)
    try:
        store.write([Reading("a.p", T0.timestamp() + 60, 2.0)])  # the spool's retry
        assert store.read(["a.p"], T0, T0 + timedelta(hours=1))["value"].tolist() == [1.0, 2.0]
    finally:
        store.close()
        again.stop()


def test_influx_store_opens_while_server_is_down_and_creates_the_database_later(fresh_influxd) -> None:
    port, workdir = fresh_influxd.port, fresh_influxd.workdir
    fresh_influxd.kill()
    store = InfluxStore(f"http://127.0.0.1:{port}", "late")  # must not raise: collectors start first
    again = start_influxd(workdir, port=port)
    try:
        store.write([Reading("a.p", T0.timestamp(), 1.0)])
        assert len(store.read(["a.p"], T0, T0 + timedelta(minutes=1))) == 1
    finally:
        store.close()
        again.stop()


def test_second_process_on_the_duckdb_file_is_told_what_to_do(tmp_path) -> None:
    path = tmp_path / "one.duckdb"
    holder = DuckDBStore(path)
    code = f"from storage.duckdb_store import DuckDBStore\nDuckDBStore({str(path)!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    holder.close()
    assert result.returncode != 0
    assert "Only one process may write it" in result.stderr and "ZEROCARBON_STORE=influxdb" in result.stderr


def test_writing_a_frame_with_naive_timestamps_is_refused(tmp_path) -> None:
    import pandas as pd

    store = DuckDBStore(tmp_path / "s.duckdb")
    frame = pd.DataFrame({"ts": [pd.Timestamp("2026-03-01 08:00")], "point_id": ["a.p"], "value": [1.0],
                          "quality": ["good"]})
    with pytest.raises(StoreError, match="naive timestamps"):
        store.write_frame(frame)
    store.close()


def test_closing_while_another_thread_reads_interrupts_it_and_closes(tmp_path) -> None:
    """Shutdown races a console snapshot still reading (seen as 'connection is busy' from `demo` on Ctrl-C)."""
    import threading
    import time

    import duckdb

    store = DuckDBStore(tmp_path / "s.duckdb")
    started, outcome = threading.Event(), []

    def long_read() -> None:
        cur = store._cursor()  # the thread's own cursor, as every store read uses
        started.set()
        try:
            cur.execute("SELECT count(*) FROM range(100000000000) a").fetchone()
            outcome.append("finished")
        except duckdb.Error as exc:
            outcome.append(type(exc).__name__)

    reader = threading.Thread(target=long_read)
    reader.start()
    assert started.wait(5)
    time.sleep(0.3)  # the query is running
    t0 = time.monotonic()
    store.close()
    reader.join(10)
    assert not reader.is_alive()
    assert outcome and outcome[0] != "finished", outcome
    assert time.monotonic() - t0 < 6
