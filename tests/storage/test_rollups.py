"""Rollups agree with each other and with the counter, across local midnight and after backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from storage.rollups import months_from_days, rollup_many

MIDNIGHT = datetime(2026, 3, 1, 16, tzinfo=UTC)  # 2026-03-02 00:00 in Zhuhai


def counter(start: datetime, minutes: int, first_kwh: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.date_range(start, periods=minutes, freq="1min", tz="UTC"), "point_id": "m.e",
                         "value": first_kwh + np.arange(float(minutes)), "quality": "good"})


def test_glitch_across_local_midnight_changes_no_total_at_any_resolution() -> None:
    raw = counter(MIDNIGHT - timedelta(hours=2), 240)  # 22:00 to 02:00 local, 1 kWh a minute
    raw.loc[118:121, "value"] = 0.0  # the meter reads 0 from 23:58 to 00:01, then is back
    lo, hi = pd.Timestamp(MIDNIGHT - timedelta(days=1)), pd.Timestamp(MIDNIGHT + timedelta(days=1))
    rolled = rollup_many(raw, ("15min", "hour", "day"), "Asia/Shanghai", lo, hi)
    for resolution, rows in rolled.items():
        assert rows["increase"].sum() == pytest.approx(239.0), resolution  # 240 readings, 239 one-kWh steps
        minutes = {"15min": 15, "hour": 60, "day": 1440}[resolution]
        assert rows["increase"].max() <= minutes, resolution  # 1 kWh a minute at most: no spike anywhere
        assert rows["glitches"].sum() == 4, resolution
    days = rolled["day"]
    assert days["increase"].tolist() == pytest.approx([119.0, 120.0])  # steps up to 23:59, then from 00:00
    assert months_from_days(days, "Asia/Shanghai")["increase"].tolist() == pytest.approx([239.0])


def test_a_day_with_only_context_readings_before_it_rolls_up_to_nothing() -> None:
    # history written up to local midnight: the next day's rebuild sees only the readings before it (it raised
    # IndexError when no bucket of the day had a reading)
    raw = counter(MIDNIGHT - timedelta(hours=1), 60)  # 23:00 to 23:59 local
    lo, hi = pd.Timestamp(MIDNIGHT), pd.Timestamp(MIDNIGHT + timedelta(days=1))
    for rows in rollup_many(raw, ("15min", "hour", "day"), "Asia/Shanghai", lo, hi).values():
        assert rows.empty


def test_bad_readings_are_counted_not_averaged() -> None:
    raw = counter(MIDNIGHT, 4)
    raw.loc[1, "quality"] = "comm_loss"
    raw.loc[1, "value"] = np.nan
    hour = rollup_many(raw, ("hour",), "UTC", pd.Timestamp(MIDNIGHT), pd.Timestamp(MIDNIGHT + timedelta(hours=1)))
    row = hour["hour"].iloc[0]
    assert (row["count"], row["bad_count"]) == (3, 1)
    assert row["mean"] == pytest.approx((100 + 102 + 103) / 3)


def test_backfilled_day_takes_its_energy_from_the_next_day(store) -> None:
    day1 = counter(MIDNIGHT - timedelta(days=1), 1440, 0.0)
    day3 = counter(MIDNIGHT + timedelta(days=1), 1440, 2880.0)
    store.write_frame(pd.concat([day1, day3]))
    store.update_rollups()
    start, end = MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=2)
    before = store.read(["m.e"], start, end, "day")
    assert before["increase"].tolist() == pytest.approx([1439.0, 2880.0])  # day 3 got the whole missing day
    store.write_frame(counter(MIDNIGHT, 1440, 1440.0))  # the missing day arrives late
    store.update_rollups()
    after = store.read(["m.e"], start, end, "day")
    assert after["increase"].tolist() == pytest.approx([1439.0, 1440.0, 1440.0])
    assert after["increase"].sum() == pytest.approx(before["increase"].sum())  # 4319 = 3 × 1440 - 1
    month = store.read(["m.e"], start - timedelta(days=2), end, "month")
    assert month["increase"].sum() == pytest.approx(4319.0)


def test_register_wrap_is_counted_when_the_store_knows_the_register(tmp_path) -> None:
    from storage.duckdb_store import DuckDBStore

    wrap = 2.0**16 * 0.1  # a uint16 counter in 0.1 kWh wraps at 6553.6 kWh
    store = DuckDBStore(tmp_path / "w.duckdb", rollovers={"m.e": wrap})
    values = [6553.0, 6553.3, 0.1, 0.4]  # 0.3 kWh before the wrap, 0.3 + 0.2 across it, 0.3 after
    store.write_frame(pd.DataFrame({"ts": pd.date_range(MIDNIGHT, periods=4, freq="1min", tz="UTC"),
                                    "point_id": "m.e", "value": values, "quality": "good"}))
    store.update_rollups()
    hour = store.read(["m.e"], MIDNIGHT, MIDNIGHT + timedelta(hours=1), "hour")
    assert hour["increase"].iloc[0] == pytest.approx(0.3 + 0.4 + 0.3)  # 6553.6 - 6553.3 + 0.1 = 0.4 at the wrap
    assert hour["resets"].iloc[0] == 1  # a wrap is counted with the resets
    store.close()


def test_site_counter_registers_know_their_wrap(site) -> None:
    from zerocarbon.store_wiring import counter_rollovers

    wraps = counter_rollovers(site)
    assert wraps["grid-meter-1.import_kwh"] == pytest.approx(2**32 * 0.01)  # uint32 in 0.01 kWh
    assert "pv-inv-01.WH" not in wraps  # SunSpec accumulator: scaled by a factor read at run time


def test_explicit_rebuild_settles_the_pending_writes_it_covered(store) -> None:
    store.write_frame(counter(MIDNIGHT, 60))
    store.update_rollups(MIDNIGHT - timedelta(days=1), MIDNIGHT + timedelta(days=1))  # a backfill's own range
    _, pending = store._pending()
    assert pending == []  # the scheduled job will not build the same days again


def test_gauges_get_no_counter_energy_and_known_counters_keep_every_dip_judged() -> None:
    rng = np.random.default_rng(0)
    gauge = pd.DataFrame({"ts": pd.date_range(MIDNIGHT, periods=60, freq="1min", tz="UTC"), "point_id": "m.p_kw",
                          "value": 100 + rng.normal(0, 5, 60), "quality": "good"})
    flaky = counter(MIDNIGHT, 60)
    flaky.loc[::5, "value"] = 0.0  # 20% of readings are zero glitches: a counter nobody would call a gauge
    flaky.loc[0, "value"] = 100.0
    lo, hi = pd.Timestamp(MIDNIGHT), pd.Timestamp(MIDNIGHT + timedelta(hours=1))
    raw = pd.concat([gauge, flaky])
    unknown = rollup_many(raw, ("hour",), "UTC", lo, hi)["hour"].set_index("point_id")
    assert unknown.loc["m.p_kw", "increase"] == 0.0  # judged by shape: a gauge
    told = rollup_many(raw, ("hour",), "UTC", lo, hi, counters={"m.e"})["hour"].set_index("point_id")
    assert told.loc["m.p_kw", "increase"] == 0.0
    assert told.loc["m.e", "increase"] == pytest.approx(59.0)  # 159 - 100: every zero was judged a glitch


def test_rollups_outlive_raw_data_when_a_day_is_rebuilt(tmp_path) -> None:
    from storage.duckdb_store import DuckDBStore
    from storage.retention import Retention

    store = DuckDBStore(tmp_path / "r.duckdb", retention=Retention(raw_days=30))
    old_day = MIDNIGHT - timedelta(days=60)
    store.write_frame(pd.concat([counter(old_day, 60), counter(old_day, 60).assign(point_id="n.e")]))
    store.update_rollups()
    store.apply_retention(MIDNIGHT)  # raw older than 30 days goes; the day's rollups stay
    store.write_frame(counter(old_day + timedelta(hours=2), 1, 500.0))  # a late reading of m.e only
    store.update_rollups()
    days = store.read(["m.e", "n.e"], old_day - timedelta(days=1), MIDNIGHT, "day").set_index("point_id")
    assert days.loc["n.e", "count"] == 60  # not wiped by m.e's rebuild of that day
    assert days.loc["m.e", "count"] == 1  # m.e's raw for the day is only the late reading now
    store.close()
