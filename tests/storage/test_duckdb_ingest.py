"""DuckDB ingest: forward-only writes only insert; anything that may overlap stored data replaces it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from storage.duckdb_store import DuckDBStore
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
