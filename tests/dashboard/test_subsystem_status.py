"""Subsystem status on the Subsystems page: from each reporting point's newest quality and age."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dashboard.context import Console
from dashboard.pages.subsystems import subsystem_status
from models.reading import Quality, Reading
from zerocarbon.settings import Settings


def _console(store, site, tmp_path: Path, at) -> Console:  # type: ignore[no-untyped-def]
    return Console(store, site, None, Settings(data_dir=tmp_path), clock=lambda: at)


def test_status_is_ok_then_degraded_by_a_bad_reading_then_offline_when_everything_is_old(
    site, console_store, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    # the end of the simulated history (other tests may add newer live readings of a few points)
    newest = console_store.latest(["meter-lighting.p_kw"])["ts"].max().to_pydatetime()
    fresh = _console(console_store, site, tmp_path, newest + timedelta(seconds=10))
    assert set(subsystem_status(fresh).values()) == {"ok"}

    # a comm-loss reading of the street-light meter, newer than anything else
    console_store.write([Reading("meter-street-lights.p_kw", (newest + timedelta(seconds=5)).timestamp(), None,
                                 Quality.COMM_LOSS)])
    status = subsystem_status(fresh)
    assert status["street_lights"] == "degraded"
    assert status["lighting"] == "ok"

    # a day later nothing has reported: every point is past three missed polls plus a minute
    assert set(subsystem_status(_console(console_store, site, tmp_path, newest + timedelta(days=1))).values()) \
        == {"offline"}
