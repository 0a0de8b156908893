"""The weather-forecast feed over a real mosquitto: the simulator publishes a day-ahead forecast, the feed keeps
it in the data dir and the plan finds it; bad payloads become dead letters of a named kind and the feed runs on."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from collectors.weather_feed import WeatherFeed, parse_forecast
from models.errors import PayloadRejected
from models.site import MqttBroker
from simulators.weather_forecast import day_ahead_payload, publish
from storage.weather_forecasts import ForecastArchive
from tests.collectors.test_mqtt import wait_for
from tests.support.processes import Mosquitto

TOPIC = "forecast/weather"


def body(**fields: object) -> bytes:
    good = {"issued": "2026-12-04T18:00:00+08:00", "source": "test", "start": "2026-12-05T00:00:00+08:00",
            "step_minutes": 60, "ghi_wm2": [0.0] * 7 + [100.0] * 10 + [0.0] * 7, "temp_c": [20.0] * 24}
    return json.dumps({**good, **fields}).encode()


BAD = [
    (b'{"issued": 1, "issued": 2}', "duplicate_key"),
    (b"\xff\xfe{}", "not_utf8"),
    (b'{"ghi_wm2": [NaN]}', "not_finite"),
    (b"[]", "not_object"),
    (b"x" * 70_000, "huge"),
    (body(issued=None), "wrong_type"),
    (json.dumps({k: v for k, v in json.loads(body()).items() if k != "temp_c"}).encode(), "missing_field"),
    (body(start="tomorrow"), "bad_timestamp"),
    (body(start="2026-12-05T00:00:00"), "bad_timestamp"),  # no zone: whose midnight?
    (body(step_minutes=7), "bad_step"),
    (body(step_minutes=15.0), "wrong_type"),
    (body(temp_c=[20.0] * 23), "length_mismatch"),
    (body(ghi_wm2=[], temp_c=[]), "length_mismatch"),
    (body(ghi_wm2=[0.0] * 23 + [2000.0]), "out_of_range"),
    (body(temp_c=[20.0] * 23 + [-80.0]), "out_of_range"),
    (body(temp_c=[20.0] * 23 + ["hot"]), "wrong_type"),
    (body(ghi_wm2=[0.0] * 23 + [True]), "wrong_type"),
    (body(ghi_wm2=[0.0] * 23 + [1e999]), "not_finite"),
]


@pytest.mark.parametrize(("payload", "kind"), BAD, ids=[f"{k}-{i}" for i, (_, k) in enumerate(BAD)])
def test_a_bad_forecast_is_refused_with_its_kind(payload: bytes, kind: str) -> None:
    with pytest.raises(PayloadRejected) as caught:
        parse_forecast(payload)
    assert caught.value.kind == kind


def test_a_good_forecast_parses_to_its_instants() -> None:
    forecast = parse_forecast(body())
    assert forecast.frame.index[0] == pd.Timestamp("2026-12-04T16:00:00Z") and len(forecast.frame) == 24
    assert forecast.frame["ghi_wm2"].sum() == 1000.0 and forecast.source == "test"
    local = pd.Timestamp("2026-12-05", tz="Asia/Shanghai")
    assert forecast.covers(local, local + pd.Timedelta(days=1))
    assert not forecast.covers(pd.Timestamp("2026-12-05", tz="UTC"), pd.Timestamp("2026-12-06", tz="UTC"))


def test_the_latest_issued_forecast_spanning_the_day_is_used(tmp_path: Path) -> None:
    archive = ForecastArchive(tmp_path)
    day = pd.Timestamp("2026-12-05", tz="Asia/Shanghai")
    archive.keep(parse_forecast(body()))
    archive.keep(parse_forecast(body(issued="2026-12-04T20:00:00+08:00", source="later")))
    archive.keep(parse_forecast(body(issued="2026-12-04T21:00:00+08:00", source="partial", ghi_wm2=[1.0] * 6,
                                     temp_c=[1.0] * 6)))  # latest, but only six hours of the day
    (tmp_path / "20991231T000000Z.json").write_text("{not json")  # a hand-edited file is passed over
    found = archive.latest_for(day, day + pd.Timedelta(days=1))
    assert found is not None and found.source == "later"
    assert archive.latest_for(day + pd.Timedelta(days=1), day + pd.Timedelta(days=2)) is None


def test_the_simulated_forecast_travels_the_broker_to_the_plan(site, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              fresh_mosquitto: Mosquitto) -> None:
    broker = MqttBroker(host="127.0.0.1", port=fresh_mosquitto.port)
    payload = day_ahead_payload(site, "2026-12-05", seed=4)
    publish(broker, TOPIC, payload)  # retained: published before anyone listens
    archive = ForecastArchive(tmp_path / "forecasts")
    feed = WeatherFeed(broker, TOPIC, archive.keep, tmp_path / "dead.jsonl")
    feed.start()
    try:
        wait_for(lambda: feed.kept == 1)
        bad = [p for p, _ in BAD[:4]] + [body(step_minutes=7)]
        publish(broker, TOPIC, b"")  # clears the retained message first: an empty payload is MQTT's delete
        for p in bad:
            publish(broker, TOPIC, p)
        later = day_ahead_payload(site, "2026-12-05", seed=5, source="second run")
        publish(broker, TOPIC, later)
        wait_for(lambda: feed.kept == 2 and feed.received >= 2 + len(bad))
    finally:
        feed.stop()
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert sorted(kinds) == sorted(["duplicate_key", "not_utf8", "not_finite", "not_object", "bad_step",
                                    "not_json"])  # the empty delete is not a forecast either
    day = pd.Timestamp("2026-12-05", tz=site.info.timezone)
    kept = archive.latest_for(day, day + pd.Timedelta(days=1))
    assert kept is not None and kept.source == "second run (seed 5)"
    expected = parse_forecast(later).frame
    pd.testing.assert_frame_equal(kept.frame, expected, check_freq=False)
    assert 0 < kept.frame["ghi_wm2"].max() < 1100 and kept.frame.index.tz is not None


def test_the_plan_takes_the_kept_forecast(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from zerocarbon.settings import load_settings
    from zerocarbon.weather_wiring import archive, latest_forecast

    settings = load_settings(Path("/nonexistent.env"), data_dir=tmp_path)
    assert latest_forecast(settings, site, pd.Timestamp("2026-12-05")) is None  # none kept: clear sky
    archive(settings).keep(parse_forecast(day_ahead_payload(site, "2026-12-05", seed=4)))
    found = latest_forecast(settings, site, pd.Timestamp("2026-12-05"))
    assert found is not None and len(found.frame) == 96 and found.source == "zerocarbon simulator (seed 4)"
    assert found.frame.index[0] == pd.Timestamp("2026-12-05", tz=site.info.timezone)


def test_the_cli_publishes_the_simulated_forecast_for_the_feed(site, site_file: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                               fresh_mosquitto: Mosquitto,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from zerocarbon.cli import app
    from zerocarbon.settings import load_settings
    from zerocarbon.weather_wiring import feed, latest_forecast

    for key, value in {"SITE": str(site_file), "DATA_DIR": str(tmp_path), "MQTT_HOST": "127.0.0.1",
                       "MQTT_PORT": str(fresh_mosquitto.port)}.items():
        monkeypatch.setenv(f"ZEROCARBON_{key}", value)
    result = CliRunner().invoke(app, ["forecast", "--publish-simulated", "2026-12-05", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert f"published the simulated forecast of 2026-12-05 on {TOPIC}" in result.output
    settings = load_settings()
    listener = feed(settings, site, TOPIC)  # what `zerocarbon forecast --listen` runs
    listener.start()
    try:
        wait_for(lambda: listener.kept == 1)  # the retained forecast, published before the listener started
    finally:
        listener.stop()
    found = latest_forecast(settings, site, pd.Timestamp("2026-12-05"))
    assert found is not None and len(found.frame) == 96 and found.frame["ghi_wm2"].max() > 0
