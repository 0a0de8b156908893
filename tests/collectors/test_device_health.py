"""The one comm-loss and backoff rule every poller follows (collectors.interface.DeviceHealth), on its own;
tests/collectors/test_modbus.py and test_bacnet.py show both protocols keep it against real devices."""

from __future__ import annotations

import time

import pytest

from collectors.interface import DeviceHealth
from models.errors import DeviceExceptionResponse, DeviceTimeout


def test_backoff_doubles_from_one_interval_up_to_the_cap_and_ends_on_an_answer():
    health = DeviceHealth("ahu-1")
    waits = []
    for _ in range(7):
        before = time.monotonic()
        health.note_comm_loss(DeviceTimeout("no answer", device="ahu-1"), interval_s=10.0, max_backoff_s=300.0)
        waits.append(health.retry_at - before)
    # 10 x 2^(n-1) capped at 300 s, less half an interval so the cycle after the backoff is due: 5, 15, 35, ...
    assert waits == pytest.approx([5.0, 15.0, 35.0, 75.0, 155.0, 295.0, 295.0], abs=0.05)
    assert health.backing_off(time.monotonic()) and health.state == "comm_loss"
    assert (health.cycles, health.failed_cycles, health.consecutive_failures) == (7, 7, 7)
    health.note_ok(1000.0)
    assert not health.backing_off(time.monotonic())
    assert (health.state, health.consecutive_failures, health.last_ok_ts, health.last_error) == ("ok", 0, 1000.0, "")


def test_an_error_answer_is_logged_once_per_message_and_never_backs_off(caplog: pytest.LogCaptureFixture):
    health = DeviceHealth("meter-1")
    with caplog.at_level("DEBUG", logger="collectors.health"):
        for _ in range(3):
            health.note_error(DeviceExceptionResponse("exception 2 at 40000", device="meter-1"), "device_error")
            health.note_failed_cycle()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "meter-1: exception 2 at 40000" in errors[0].getMessage()
    assert health.state == "device_error" and health.retry_at == 0.0 and health.failed_cycles == 3
