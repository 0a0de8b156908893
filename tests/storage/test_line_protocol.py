"""Line protocol text: escapes, left-out NaN fields, batches."""

from __future__ import annotations

import numpy as np
import pandas as pd

from storage.line_protocol import batches, raw_lines, series_key


def test_series_key_escapes_tags_and_leaves_out_empty_ones() -> None:
    key = series_key("reading", "dev-1.a b,c=d", {"site": "zhuhai", "role": "", "subsystem": "hvac"})
    assert key == r"reading,device=dev-1,point=dev-1.a\ b\,c\=d,site=zhuhai,subsystem=hvac"


def test_reading_without_value_keeps_only_its_quality() -> None:
    frame = pd.DataFrame({"ts": pd.to_datetime([0, 1], unit="s", utc=True), "point_id": ["a.p", "a.p"],
                          "value": [1.5, np.nan], "quality": ["good", "comm_loss"]})
    lines = raw_lines(frame, {"a.p": "reading,point=a.p"}).to_pylist()
    assert lines == ['reading,point=a.p value=1.5,quality="good" 0',
                     'reading,point=a.p quality="comm_loss" 1000000']  # microseconds


def test_batches_split_at_the_batch_size() -> None:
    frame = pd.DataFrame({"ts": pd.to_datetime(range(5), unit="s", utc=True), "point_id": "a.p",
                          "value": 1.0, "quality": "good"})
    payloads = list(batches(raw_lines(frame, {"a.p": "r"}), 2))
    assert [p.count(b"\n") + 1 for p in payloads] == [2, 2, 1]
