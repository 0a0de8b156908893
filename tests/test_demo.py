"""``zerocarbon demo`` end to end, as a newcomer runs it: history, live site, collectors, alarms, console, Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[1]


def _wait_for(predicate, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_demo_backfills_collects_serves_and_stops_cleanly(tmp_path: Path) -> None:
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    port = free_port()
    log = tmp_path / "demo.log"
    health_port = free_port()
    env = dict(os.environ, ZEROCARBON_ADMIN_PASSWORD="demo-pass-123", ZEROCARBON_HEALTH_PORT=str(health_port))
    env.pop("ZEROCARBON_DATA_DIR", None)
    proc = subprocess.Popen(
        [exe, "demo", "--days", "0.25", "--no-baseline", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        text = _wait_for(lambda: "Ctrl-C stops everything" in log.read_text() and log.read_text(), 180, "start-up")
        assert f"http://127.0.0.1:{port}" in text and "admin / demo-pass-123" in text
        assert "history filled" in text and "serving now" in text
        assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200
        control = re.search(r"--set-fault pv-inv-03=inverter_fault --control-port (\d+)", text)
        assert control, text  # the printed command reaches the running simulator's fault switch
        assert httpx.get(f"http://127.0.0.1:{control.group(1)}/faults", timeout=10).json() == {}
        status_file = tmp_path / "data" / "status" / "collector.json"

        def live_and_stored() -> dict[str, object] | None:
            if not status_file.is_file():
                return None
            status = json.loads(status_file.read_text())
            polled = [d for d in status["devices"] if d.get("last_value_ts")]
            every = len(polled) == len(status["devices"]) >= 40  # the 40 Modbus devices (and MQTT, when listed)
            return status if every and status["store"]["written"] > 0 else None

        status = _wait_for(live_and_stored, 90, "every Modbus device polled and readings in the store")
        assert status["store"]["store_failures"] == 0
        assert httpx.get(f"http://127.0.0.1:{health_port}/health", timeout=10).json()["status"] == "ok"
        metrics = httpx.get(f"http://127.0.0.1:{health_port}/metrics", timeout=10).text
        counted = re.search(r"^zerocarbon_readings_total (\S+)$", metrics, re.M)
        written = re.search(r"^zerocarbon_readings_written_total (\S+)$", metrics, re.M)
        assert counted and float(counted.group(1)) > 0, metrics[:2000]
        assert written and float(written.group(1)) > 0, metrics[:2000]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    assert proc.returncode == 0, log.read_text()[-3000:]
    assert "stopped cleanly" in log.read_text()


@pytest.mark.slow
def test_sigint_while_the_history_fills_exits_promptly_and_keeps_whole_days(site, tmp_path: Path) -> None:
    """A real demo, SIGINT while it fills its history: it exits within a day's write (the rollup step used to
    run to its end first: 52 s for 30 days at load 4), and what it wrote is whole, every minute of every day."""
    from storage.duckdb_store import DuckDBStore

    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    log = tmp_path / "demo.log"
    env = dict(os.environ, ZEROCARBON_ADMIN_PASSWORD="demo-pass-123", PYTHONUNBUFFERED="1",
               ZEROCARBON_HEALTH_PORT=str(free_port()))
    env.pop("ZEROCARBON_DATA_DIR", None)
    proc = subprocess.Popen([exe, "demo", "--days", "3", "--no-baseline", "--port", str(free_port()),
                             "--data-dir", str(tmp_path / "data")], cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: "serving now" in log.read_text(), 120, "the console served before the fill")
        time.sleep(2.0)  # into the fill: a day is ~1 s of writing here, the whole fill ~5 s
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert proc.returncode == 0 and "Traceback" not in text, text[-3000:]
    assert "stopped before the demo started" in text or "stopped cleanly" in text, text[-3000:]
    assert took < 30, f"{took:.1f} s from SIGINT to exit"
    store = DuckDBStore(tmp_path / "data" / "zerocarbon.duckdb", site.info.timezone)
    try:
        raw = store.read(["grid-meter-1.import_kwh", "pv-inv-01.W", "meter-lighting.p_kw"],
                         datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    finally:
        store.close()
    assert not raw.empty
    for point, rows in raw.groupby("point_id"):
        minute = rows["ts"].dt.floor("min")  # the first reading is at the start instant, the rest on the minute
        minutes = (minute.max() - minute.min()) / pd.Timedelta(minutes=1) + 1
        assert len(rows) == minute.nunique() == minutes, f"{point}: {len(rows)} readings over {minutes:.0f} min"


def test_a_restart_backfills_the_gap_continuing_every_counter(site, tmp_path: Path) -> None:
    """Stopped for 20 minutes, the demo fills the gap from the stored counters: no meter drops back to its
    origin (which the energy module would count as a reset of every meter at the restart)."""
    from datetime import UTC, datetime, timedelta

    from storage.duckdb_store import DuckDBStore
    from zerocarbon.commands.demo import _backfill, counter_values, missing_history

    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    try:
        now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # noon in Zhuhai: PV and storage counters move too
        first = missing_history(store, site, 1 / 24, now)
        assert first == (now - timedelta(hours=1), now)
        _backfill(store, site, first, seed=0)
        before = counter_values(store, site)
        restart = now + timedelta(minutes=20)
        gap = missing_history(store, site, 1 / 24, restart)
        assert gap is not None and gap[0] > now - timedelta(minutes=1)  # only the gap, not the hour again
        _backfill(store, site, gap, seed=0)
        after = counter_values(store, site)
    finally:
        store.close()
    dropped = {pid: (before[pid], after[pid]) for pid in before if after[pid] < before[pid]}
    assert dropped == {}
    # the gap's 20 minutes of a ~1 MW night-and-day load are counted, not lost: the grid meters kept counting
    assert after["grid-meter-1.import_kwh"] - before["grid-meter-1.import_kwh"] > 10.0


def test_history_ends_on_what_the_live_registers_will_serve(site, tmp_path: Path) -> None:
    """The live site continues from the newest stored counters and serves them through integer registers; a
    stored fraction of a register step read back rounded down (storage 19144.539 kWh -> 19144.5 at a 0.1 kWh
    step), a drop the energy module counts as a meter reset at every demo start."""
    from datetime import UTC, datetime, timedelta

    from models.resolve import register_points
    from models.template import ModbusTemplate
    from simulators.registers import register_step
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.commands.demo import _backfill, counter_values

    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    try:
        now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
        _backfill(store, site, (now - timedelta(hours=1), now), seed=0)
        stored = counter_values(store, site)
    finally:
        store.close()
    served, checked = {}, 0
    for device in site.devices:
        template = site.template_of(device)
        if not isinstance(template, ModbusTemplate):
            continue
        for point in register_points(template):
            value = stored.get(f"{device.id}.{point.name}")
            if value is None:
                continue
            step = register_step(point, value)
            checked += 1
            served[f"{device.id}.{point.name}"] = round(value / step) * step if step else value  # pack_raw rounds
    assert checked >= 20  # grid, PV, storage, wind, sub-meter counters
    drops = {pid: (stored[pid], v) for pid, v in served.items() if v < stored[pid] - 1e-9 * abs(stored[pid])}
    assert drops == {}


def test_ctrl_c_during_the_backfill_stops_after_a_whole_day(site, tmp_path: Path) -> None:
    """Ctrl-C while history is written ends the demo between two days (it used to raise a DuckDB 'transaction is
    aborted' traceback from inside the write); what was written stays for the next run to continue."""
    import threading
    from datetime import UTC, datetime, timedelta

    from storage.duckdb_store import DuckDBStore
    from zerocarbon.commands.demo import _history_ready

    stop = threading.Event()
    stop.set()  # pressed before the first day was written
    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    try:
        assert _history_ready(store, site, 3.0, 0, stop) is False
        newest = store.latest()["ts"].max().to_pydatetime()
    finally:
        store.close()
    # one local day (at most 24 h) of the three was written, and it is the oldest
    assert newest < datetime.now(UTC) - timedelta(days=3) + timedelta(hours=24)


def test_a_second_demo_on_the_same_data_dir_says_so_without_a_traceback(site, tmp_path: Path) -> None:
    from storage.duckdb_store import DuckDBStore

    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe
    holder = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)  # the first demo's store
    try:
        env = dict(os.environ, ZEROCARBON_ADMIN_PASSWORD="demo-pass-123")
        second = subprocess.run([exe, "demo", "--port", str(free_port()), "--data-dir", str(tmp_path)],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    finally:
        holder.close()
    assert second.returncode == 1
    assert "Is a demo already running?" in second.stderr and "Traceback" not in second.stderr, second.stderr


def test_the_live_meters_count_the_minutes_the_demo_was_stopped(site, tmp_path: Path) -> None:
    """Restarted two minutes after the last stored reading (too short a gap to backfill), the live grid meter
    continues from the stored value plus what the building used meanwhile; it used to resume at the stored
    value, losing the energy of every stop."""
    import time as clock

    from models.reading import Reading
    from simulators.live import LiveState
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.commands.demo import counter_times, counter_values

    now = clock.time()
    store = DuckDBStore(tmp_path / "zerocarbon.duckdb", site.info.timezone)
    try:
        store.write([Reading("grid-meter-1.import_kwh", now - 120.0, 5000.0),
                     Reading("grid-meter-2.import_kwh", now - 1.0, 7000.0)])  # each meter from its own reading
        state = LiveState(site, 0, counter_values(store, site), counter_times(store, site))
    finally:
        store.close()
    values = state.advance(now)
    counted = values["grid-meter-1"]["import_kwh"] - 5000.0
    # 120 s of the incomer's share of a building that never draws less than a few hundred kW (> 5 kWh), and
    # less than its transformer bank could carry (16,000 kVA × 120 s / 3600 = 533 kWh)
    assert 5.0 < counted < 533.0
    assert 0.0 < values["grid-meter-2"]["import_kwh"] - 7000.0 < 533.0 / 120.0  # read 1 s ago: 1 s of energy
