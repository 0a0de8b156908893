"""DuckDB ingest: forward-only writes only insert; anything that may overlap stored data replaces it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from storage.duckdb_store import DuckDBStore
from storage.frames import normalise_raw, raw_batch
from tests.storage.test_store_contract import T0, minute_frame


def test_forward_writes_insert_only_and_a_replay_still_replaces(duck: DuckDBStore) -> None:
    duck.write_frame(minute_frame("m.e", 30))  # a new point
    duck.write_frame(minute_frame("m.e", 30, start=T0 + timedelta(minutes=30)))  # after everything stored
    assert duck.overlapping_writes == 0
    replay = minute_frame("m.e", 30, start=T0 + timedelta(minutes=30))
    replay.loc[0, "value"] = -1.0
    duck.write_frame(replay)  # starts at the newest stored minute: must take the replacing path
    assert duck.overlapping_writes == 1
    frame = duck.read(["m.e"], T0, T0 + timedelta(hours=2))
    assert len(frame) == 60 and frame["ts"].is_unique and frame["value"].iloc[30] == -1.0


def test_one_overlapping_point_makes_the_whole_batch_replace(duck: DuckDBStore) -> None:
    duck.write_frame(minute_frame("a.e", 10))
    duck.write_frame(minute_frame("b.e", 10, start=T0 + timedelta(minutes=20)))
    both = minute_frame("a.e", 10, start=T0 + timedelta(minutes=10))  # a: forward
    both = pd.concat([both, minute_frame("b.e", 10, start=T0 + timedelta(minutes=15))])  # b: 5 min back
    duck.write_frame(both)
    assert duck.overlapping_writes == 1
    frame = duck.read(["a.e", "b.e"], T0, T0 + timedelta(hours=1))
    assert frame.groupby("point_id").size().to_dict() == {"a.e": 20, "b.e": 15}  # b: minutes 15..34, no doubles
    assert not frame.duplicated(["point_id", "ts"]).any()


@pytest.mark.parametrize("layout", ["point_major", "time_major", "shuffled_with_duplicates", "split_runs"])
def test_spans_match_a_plain_groupby_whatever_the_row_order(layout: str) -> None:
    frame = pd.concat([minute_frame(f"p{i}.x", 50, step_kwh=i + 1) for i in range(6)], ignore_index=True)
    if layout == "time_major":
        frame = frame.sort_values(["ts", "point_id"], kind="stable")
    elif layout == "shuffled_with_duplicates":
        frame = pd.concat([frame, frame.sample(40, random_state=1).assign(value=-1.0)]).sample(frac=1, random_state=2)
    elif layout == "split_runs":  # p0's minutes come in two separate runs
        frame = pd.concat([frame.iloc[:25], frame.iloc[50:], frame.iloc[25:50]])
    rows, spans = raw_batch(frame)
    expected = normalise_raw(frame)
    assert rows.sort_values(["point_id", "ts"]).reset_index(drop=True).equals(
        expected.sort_values(["point_id", "ts"]).reset_index(drop=True))
    assert not rows.duplicated(["point_id", "ts"]).any() and len(rows) == 300
    by_point = rows.sort_values("ts").groupby("point_id")
    assert spans.set_index("point_id")["lo"].to_dict() == by_point["ts"].min().to_dict()
    newest = by_point.tail(1).set_index("point_id")
    got = spans.set_index("point_id")
    assert got["ts"].to_dict() == newest["ts"].to_dict() and got["value"].to_dict() == newest["value"].to_dict()


def test_a_frame_in_contract_dtypes_goes_straight_to_arrow_with_the_same_rows_and_spans() -> None:
    from storage.arrow_batch import _direct, arrow_batch

    frame = pd.concat([minute_frame(f"p{i}.x", 20, step_kwh=i + 1) for i in range(3)], ignore_index=True)
    frame["ts"] = frame["ts"].astype("datetime64[ns, UTC]")
    frame.loc[3, "ts"] += pd.Timedelta(nanoseconds=999)  # below a microsecond: stored truncated
    frame.loc[5, "value"] = float("nan")  # a missing value
    frame.loc[7, "quality"] = "suspect"
    assert _direct(frame) is not None  # the fast path was taken, not the pandas one
    batch = arrow_batch(frame)
    assert batch is not None
    rows = batch.rows.to_pandas()
    expected = normalise_raw(frame)
    assert (rows["ts"].astype("datetime64[ns, UTC]") == expected["ts"]).all()
    assert rows["point_id"].tolist() == expected["point_id"].tolist()
    assert rows["quality"].tolist() == expected["quality"].tolist()
    assert rows["value"].isna().tolist() == expected["value"].isna().tolist() and batch.rows["value"].null_count == 1
    _, spans = raw_batch(frame)
    got = batch.spans.to_pandas()
    assert got["point_id"].tolist() == spans["point_id"].tolist() and got["value"].tolist() == spans["value"].tolist()
    assert (got["lo"].astype("datetime64[ns, UTC]") == spans["lo"]).all()
    assert batch.lo == spans["lo"].min() and batch.hi == spans["ts"].max()


def test_frames_the_fast_path_cannot_prove_still_get_the_checks_and_errors() -> None:
    from models.errors import StoreError
    from storage.arrow_batch import _direct, arrow_batch

    frame = pd.concat([minute_frame("a.x", 5), minute_frame("b.x", 5)], ignore_index=True)
    frame.loc[2, "quality"] = "splendid"
    with pytest.raises(StoreError, match="unknown quality value.*splendid"):
        arrow_batch(frame)
    twice = pd.concat([minute_frame("a.x", 5), minute_frame("a.x", 5).assign(value=-1.0)], ignore_index=True)
    assert _direct(twice) is None  # a point in two runs (a duplicate): the general path keeps the later row
    batch = arrow_batch(twice)
    assert batch is not None and batch.num_rows == 5 and set(batch.rows["value"].to_pylist()) == {-1.0}


def test_missing_values_written_through_the_fast_path_read_back_missing(duck: DuckDBStore) -> None:
    from storage.arrow_batch import _direct

    frame = minute_frame("m.e", 10)  # microsecond timestamps (pandas' own choice for a date_range)
    frame.loc[4, "value"] = float("nan")
    assert _direct(frame) is not None
    duck.write_frame(frame)
    back = duck.read(["m.e"], T0, T0 + timedelta(hours=1))
    assert len(back) == 10 and back["value"].isna().tolist() == [i == 4 for i in range(10)]
