"""Counter arithmetic: golden cases with their arithmetic, and properties over generated meter histories."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage.counters import ACCEPTED, GLITCH, RESET, counter_steps


def steps(values: list[float], every_s: float = 60.0, **kw):  # type: ignore[no-untyped-def]
    return counter_steps(np.arange(len(values)) * every_s, np.array(values, dtype=float), **kw)


def test_monotone_counter_adds_its_deltas() -> None:
    result = steps([100.0, 100.5, 101.5, 101.5, 103.0])
    assert result.increment.tolist() == [0.0, 0.5, 1.0, 0.0, 1.5]  # 103 - 100 = 3.0 in total
    assert (result.status == ACCEPTED).all()


def test_meter_reading_zero_then_jumping_back_creates_no_spike() -> None:
    result = steps([100.0, 101.0, 0.0, 0.0, 102.0, 103.0])
    # the dip is rejected; the rise 101 -> 102 across it is spread over its three minutes: 1/3 kWh each,
    # where a naive delta would have counted 102 kWh at the jump back
    assert result.increment.tolist() == pytest.approx([0.0, 1.0, 1 / 3, 1 / 3, 1 / 3, 1.0])
    assert result.status.tolist() == [ACCEPTED, ACCEPTED, GLITCH, GLITCH, ACCEPTED, ACCEPTED]


def test_lone_high_reading_is_rejected() -> None:
    result = steps([100.0, 9999.0, 101.0, 102.0])
    assert result.increment.tolist() == [0.0, 0.0, 1.0, 1.0]  # 101 - 100, then 102 - 101
    assert result.status[1] == GLITCH


def test_counter_reset_does_not_create_energy_spike() -> None:
    result = steps([500.0, 501.0, 502.0, 0.5, 1.5, 2.5])
    # the meter restarted at zero: 0.5 kWh since the reset is counted (0.5 <= the 1.0 kWh ordinary step)
    assert result.increment.tolist() == [0.0, 1.0, 1.0, 0.5, 1.0, 1.0]
    assert result.status[3] == RESET


def test_reset_to_a_large_value_adds_nothing() -> None:
    result = steps([500.0, 501.0, 502.0, 300.0, 301.0])  # a replacement meter starting at 300 kWh
    assert result.increment.tolist() == [0.0, 1.0, 1.0, 0.0, 1.0]


def test_dip_longer_than_the_glitch_window_is_a_reset() -> None:
    # hourly readings: the meter shows 0 for 7 h (> 6 h window) then climbs from 0: a real reset
    values = [100.0, 101.0] + [0.0] * 7 + [1.0, 2.0]
    result = steps(values, every_s=3600.0)
    assert result.status[2] == RESET
    assert result.increment.sum() == 1.0 + 1.0 + 1.0  # 100->101, 0->1, 1->2


def test_rollover_counts_the_wrap() -> None:
    result = steps([65533.0, 65534.0, 65535.0, 1.0], rollover=65536.0)
    assert result.increment.tolist() == [0.0, 1.0, 1.0, 2.0]  # 65536 - 65535 + 1


def test_meter_cleared_high_in_its_range_is_a_reset_not_a_rollover() -> None:
    result = steps([50000.0, 50001.0, 50002.0, 0.5], rollover=65536.0)
    # a "wrap" would add 65536 - 50002 + 0.5 = 15534.5 kWh: a spike; it is a reset adding 0.5 kWh
    assert result.increment.tolist() == [0.0, 1.0, 1.0, 0.5]


monotone = st.lists(st.floats(0, 50, allow_nan=False), min_size=2, max_size=60).map(
    lambda steps_: (1000.0 + np.cumsum(steps_)).tolist()
)


@given(monotone)
@settings(max_examples=200, deadline=None)
def test_monotone_counter_energy_sums_to_last_minus_first(values: list[float]) -> None:
    result = steps(values)
    assert np.isclose(result.increment.sum(), values[-1] - values[0], rtol=1e-9, atol=1e-6)
    assert not (result.status == RESET).any()


@given(monotone, st.integers(1, 5), st.data())
@settings(max_examples=200, deadline=None)
def test_dips_that_come_back_never_change_the_total(values: list[float], width: int, data: st.DataObject) -> None:
    if len(values) < width + 2:
        return
    at = data.draw(st.integers(1, len(values) - width - 1))
    if values[at + width] <= values[at - 1] + 1e-3:
        return  # the counter must visibly come back above the held level to tell a dip from a reset
    dipped = values.copy()
    dipped[at : at + width] = [0.0] * width
    result = steps(dipped)
    assert np.isclose(result.increment.sum(), values[-1] - values[0], rtol=1e-9, atol=1e-6)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60))
@settings(max_examples=300, deadline=None)
def test_no_reading_ever_adds_negative_energy_or_more_than_a_real_step(values: list[float]) -> None:
    result = steps(values)
    rises = np.diff(values)
    biggest_rise = max(0.0, float(rises.max())) if len(rises) else 0.0
    assert (result.increment >= 0).all()
    assert result.increment.max() <= biggest_rise + 1e-9
