"""The Store contract, run against every backend (DuckDB embedded, InfluxDB over its v1 HTTP API)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from models.errors import StoreError
from models.reading import Quality, Reading
from storage.base import RAW_COLUMNS, ROLLUP_COLUMNS

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # 08:00 in Zhuhai
EPOCH0 = T0.timestamp()


def minute_frame(point_id: str, minutes: int, start: datetime = T0, step_kwh: float = 0.5) -> pd.DataFrame:
    ts = pd.date_range(start, periods=minutes, freq="1min", tz="UTC")
    return pd.DataFrame(
        {"ts": ts, "point_id": point_id, "value": 1000.0 + step_kwh * np.arange(minutes), "quality": "good"}
    )


def test_written_readings_read_back_sorted_with_contract_dtypes(store) -> None:
    store.write([Reading("b.p", EPOCH0 + 60, 2.0), Reading("a.p", EPOCH0, 1.0), Reading("a.p", EPOCH0 + 60, None,
                 Quality.COMM_LOSS)])
    frame = store.read(["a.p", "b.p"], T0, T0 + timedelta(hours=1))
    assert list(frame.columns) == list(RAW_COLUMNS)
    assert str(frame["ts"].dtype) == "datetime64[ns, UTC]"
    assert frame["point_id"].tolist() == ["a.p", "a.p", "b.p"]
    assert frame["value"].iloc[0] == 1.0 and np.isnan(frame["value"].iloc[1])
    assert frame["quality"].tolist() == ["good", "comm_loss", "good"]


def test_range_is_half_open(store) -> None:
    store.write_frame(minute_frame("m.e", 10))
    frame = store.read(["m.e"], T0 + timedelta(minutes=2), T0 + timedelta(minutes=5))
    assert len(frame) == 3  # minutes 2, 3 and 4; minute 5 is the exclusive end


def test_same_point_and_timestamp_overwrites_never_doubles(store) -> None:
    store.write_frame(minute_frame("m.e", 30))
    replay = minute_frame("m.e", 30)
    replay.loc[5, "value"] = 7.0
    assert store.write_frame(replay) == 30
    frame = store.read(["m.e"], T0, T0 + timedelta(hours=1))
    assert len(frame) == 30
    assert frame["value"].iloc[5] == 7.0


def test_duplicates_inside_one_batch_keep_the_last(store) -> None:
    store.write([Reading("a.p", EPOCH0, 1.0), Reading("a.p", EPOCH0, 2.0)])
    assert store.read(["a.p"], T0, T0 + timedelta(minutes=1))["value"].tolist() == [2.0]


def test_latest_gives_newest_reading_per_point_even_after_backfill(store) -> None:
    store.write([Reading("a.p", EPOCH0 + 600, 5.0), Reading("b.p", EPOCH0, 1.0)])
    store.write([Reading("a.p", EPOCH0, 1.0)])  # late backfill must not replace the newest
    latest = store.latest()
    assert latest.set_index("point_id")["value"].to_dict() == {"a.p": 5.0, "b.p": 1.0}
    assert store.latest(["b.p"])["point_id"].tolist() == ["b.p"]


def test_naive_datetimes_are_refused_with_a_hint(store) -> None:
    with pytest.raises(StoreError, match="tz-aware"):
        store.read(["a.p"], datetime(2026, 3, 1), datetime(2026, 3, 2))


def test_hourly_rollup_holds_mean_min_max_last_count_and_counter_increase(store) -> None:
    store.write_frame(minute_frame("m.e", 120))  # 1000.0, 1000.5, ... 1059.5 kWh
    store.update_rollups()
    hours = store.read(["m.e"], T0, T0 + timedelta(hours=2), "hour")
    assert set(ROLLUP_COLUMNS) <= set(hours.columns)
    first = hours.iloc[0]
    assert first["count"] == 60 and first["min"] == 1000.0 and first["max"] == 1029.5 and first["last"] == 1029.5
    assert first["mean"] == pytest.approx(1014.75)  # (1000 + 1029.5) / 2
    # first hour: 59 steps of 0.5 kWh inside it; second hour: 60 steps (the one across the hour boundary counts)
    assert hours["increase"].tolist() == pytest.approx([29.5, 30.0])


def test_days_and_months_are_cut_at_local_midnight(store) -> None:
    # 2026-03-31 15:00 to 17:00 UTC straddles 2026-04-01 00:00 in Asia/Shanghai (UTC+8)
    store.write_frame(minute_frame("m.e", 120, start=datetime(2026, 3, 31, 15, tzinfo=UTC)))
    store.update_rollups()
    days = store.read(["m.e"], datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), "day")
    assert [t.isoformat() for t in days["ts"]] == ["2026-03-30T16:00:00+00:00", "2026-03-31T16:00:00+00:00"]
    months = store.read(["m.e"], datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), "month")
    assert [t.isoformat() for t in months["ts"]] == ["2026-02-28T16:00:00+00:00", "2026-03-31T16:00:00+00:00"]
    assert months["count"].tolist() == [60, 60]
    assert months["increase"].sum() == pytest.approx(119 * 0.5)  # 120 readings, 119 steps


def test_backfilled_data_rebuilds_its_rollups(store) -> None:
    store.write_frame(minute_frame("m.e", 60))
    store.update_rollups()
    late = minute_frame("m.e", 60)
    late["value"] += 100.0  # a corrected history replaces the first one
    store.write_frame(late)
    store.update_rollups()
    hour = store.read(["m.e"], T0, T0 + timedelta(hours=1), "hour")
    assert hour["min"].tolist() == [1100.0]


def test_concurrent_writers_lose_nothing(store) -> None:
    def writer(k: int) -> None:
        for i in range(20):
            store.write([Reading(f"w{k}.p", EPOCH0 + i, float(i))])

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    frame = store.read([f"w{k}.p" for k in range(4)], T0, T0 + timedelta(minutes=1))
    assert len(frame) == 80  # 4 threads × 20 readings


def test_extreme_floats_read_back_bit_for_bit(store) -> None:
    values = [1e20, 1.2345678901234566e-7, -0.0, 123456789.12345679, 4294967295.0]
    store.write([Reading("x.p", EPOCH0 + i, v) for i, v in enumerate(values)])
    assert store.read(["x.p"], T0, T0 + timedelta(minutes=1))["value"].tolist() == values


def test_point_ids_needing_escapes_survive(store) -> None:
    store.write([Reading("dev-1.a b,c=d'e", EPOCH0, 1.0)])
    assert store.read(["dev-1.a b,c=d'e"], T0, T0 + timedelta(minutes=1))["value"].tolist() == [1.0]


def test_latest_of_a_point_that_just_lost_contact_has_no_stale_value(store) -> None:
    store.write([Reading("a.p", EPOCH0, 5.0), Reading("a.p", EPOCH0 + 60, None, Quality.COMM_LOSS)])
    row = store.latest(["a.p"]).iloc[0]
    assert row["quality"] == "comm_loss" and np.isnan(row["value"])  # not the 5.0 of a minute before
    assert row["ts"] == pd.Timestamp(T0 + timedelta(minutes=1))
