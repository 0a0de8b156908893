"""InfluxDB specifics beyond the contract: the documented tag schema, and bulk writes built while posting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from storage.influx_store import InfluxStore

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_points_are_tagged_for_grouping_by_subsystem_and_role(influxd) -> None:
    tags = {"m1.import_kwh": {"site": "zhuhai", "subsystem": "hvac", "role": "consumption"}}
    store = InfluxStore(influxd.url, "tagged", point_tags=tags)
    store.write_frame(pd.DataFrame({"ts": [pd.Timestamp(T0)], "point_id": ["m1.import_kwh"], "value": [5.0],
                                    "quality": ["good"]}))
    answer = influxd.query("tagged", 'SELECT sum("value") FROM "reading" GROUP BY "subsystem", "role", "device"')
    series = answer["results"][0]["series"][0]  # type: ignore[index]
    assert series["tags"] == {"subsystem": "hvac", "role": "consumption", "device": "m1"}
    assert series["values"][0][1] == 5.0
    store.close()


def test_bulk_write_larger_than_one_chunk_is_complete(influxd) -> None:
    store = InfluxStore(influxd.url, "bulk", batch_lines=100)  # chunks of 10 x 100 lines: 3 chunks overlap
    n = 2500
    frame = pd.DataFrame({"ts": pd.date_range(T0, periods=n, freq="1s", tz="UTC"), "point_id": "a.p",
                          "value": np.arange(float(n)), "quality": "good"})
    assert store.write_frame(frame) == n
    back = store.read(["a.p"], T0, T0 + timedelta(hours=1))
    assert len(back) == n and back["value"].sum() == n * (n - 1) / 2  # 0 + 1 + ... + 2499
    store.close()
