"""The shared snapshot: one computation per key and tick however many callers, stale served while refreshing,
errors reach the callers that waited for them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.snapshot import Snapshots


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_concurrent_callers_share_one_computation() -> None:
    snapshots = Snapshots(refresh_s=5.0)
    calls = []
    gate = threading.Event()

    def compute() -> str:
        calls.append(1)
        gate.wait(5)  # hold the first computation until every caller has arrived
        return "tiles"

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(snapshots.get, "overview", "day", "zh", compute) for _ in range(20)]
        while snapshots.stats("overview", "day", "zh")[0] < 20:
            time.sleep(0.01)
        gate.set()
        assert [f.result(timeout=10) for f in futures] == ["tiles"] * 20
    assert len(calls) == 1
    assert snapshots.stats("overview", "day", "zh") == (20, 1)


def test_keys_are_page_period_and_language() -> None:
    snapshots = Snapshots(refresh_s=5.0)
    assert snapshots.get("overview", "day", "zh", lambda: "zh-day") == "zh-day"
    assert snapshots.get("overview", "day", "en", lambda: "en-day") == "en-day"
    assert snapshots.get("overview", "year", "zh", lambda: "zh-year") == "zh-year"
    assert snapshots.get("renewables", "day", "zh", lambda: "other page") == "other page"
    assert snapshots.get("overview", "day", "zh", lambda: "recomputed") == "zh-day"


def test_a_stale_snapshot_is_served_at_once_and_refreshed_once_behind() -> None:
    clock = Clock()
    snapshots = Snapshots(refresh_s=5.0, clock=clock)
    assert snapshots.get("overview", "kpis", "", lambda: 1) == 1
    clock.now += 5.0  # the next tick
    started, release = threading.Event(), threading.Event()

    def slow_refresh() -> int:
        started.set()
        release.wait(5)
        return 2

    assert snapshots.get("overview", "kpis", "", slow_refresh) == 1  # no wait for the refresh
    assert started.wait(5)
    assert snapshots.get("overview", "kpis", "", lambda: 99) == 1  # a refresh is running: not a second one
    release.set()
    deadline = time.monotonic() + 5
    while snapshots.get("overview", "kpis", "", lambda: 99) != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert snapshots.get("overview", "kpis", "", lambda: 99) == 2
    assert snapshots.stats("overview", "kpis", "")[1] == 2  # the 99s were never computed


def test_a_longer_ttl_keeps_long_ranges_shared() -> None:
    clock = Clock()
    snapshots = Snapshots(refresh_s=5.0, clock=clock)
    snapshots.get("renewables", "year", "zh", lambda: "a", ttl_s=60)
    clock.now += 30
    assert snapshots.get("renewables", "year", "zh", lambda: "b", ttl_s=60) == "a"
    assert snapshots.stats("renewables", "year", "zh")[1] == 1


def test_a_failed_first_computation_raises_its_own_error_and_is_retried() -> None:
    snapshots = Snapshots(refresh_s=5.0)

    def broken() -> str:
        raise ValueError("carbon.yaml: no factor for 2026")

    with pytest.raises(ValueError, match="no factor"):
        snapshots.get("carbon", "2026", "", broken)
    assert snapshots.get("carbon", "2026", "", lambda: "fixed") == "fixed"


def test_a_failed_refresh_keeps_serving_the_last_good_snapshot() -> None:
    clock = Clock()
    snapshots = Snapshots(refresh_s=5.0, clock=clock)
    snapshots.get("overview", "today", "", lambda: "good")
    clock.now += 10

    def broken() -> str:
        raise RuntimeError("store busy")

    assert snapshots.get("overview", "today", "", broken) == "good"
    time.sleep(0.2)
    assert snapshots.get("overview", "today", "", broken) == "good"
