"""The Plan page in a real headless Chromium: tomorrow's forecast, the storage plan and its expected saving, in
中文 and English, with the numbers ``planning.tomorrow.plan_tomorrow`` computes for the same store; the PV forecast
it rests on (clear sky × clearness, then the forecast the weather feed took from a real mosquitto) and when the
load models were fitted."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.conftest import RunningConsole
from tests.support.processes import Mosquitto

pytestmark = pytest.mark.browser
TOPIC = "forecast/weather"  # config/planning.yaml's forecast.weather_topic


def _keep_forecast_from_the_broker(console: RunningConsole, broker_port: int, day: str) -> None:
    """Publish the simulator's day-ahead forecast (retained) and let the feed keep it in the console's data dir,
    as `zerocarbon run` does."""
    from collectors.weather_feed import WeatherFeed
    from models.site import MqttBroker
    from simulators.weather_forecast import day_ahead_payload, publish
    from storage.weather_forecasts import FORECASTS_DIR, ForecastArchive

    broker = MqttBroker(host="127.0.0.1", port=broker_port)
    publish(broker, TOPIC, day_ahead_payload(console.console.site, day, seed=7))
    feed = WeatherFeed(broker, TOPIC, ForecastArchive(console.data_dir / FORECASTS_DIR).keep,
                       console.data_dir / "dead.jsonl", client_id="zc-test-plan-feed")
    feed.start()
    try:
        deadline = time.monotonic() + 60
        while feed.kept < 1:
            assert time.monotonic() < deadline, f"the feed kept nothing ({feed.received} received)"
            time.sleep(0.05)
    finally:
        feed.stop()


def test_plan_page_shows_tomorrows_forecast_plan_and_saving_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path, mosquitto: Mosquitto  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.components import number
    from dashboard.pages.plan import compute, tomorrow

    console = running_console.console
    day = tomorrow(console)  # type: ignore[arg-type]
    console.snapshots.clear()  # type: ignore[attr-defined]
    expected = compute(console, day)  # type: ignore[arg-type]
    page = console_page("admin", "/plan")
    page.wait_for_selector("#plan-chart .main-svg .scatterlayer .trace", timeout=90_000)
    assert "明日计划" in page.inner_text("#plan-page h2")
    assert "明日预计节省" in page.inner_text("#plan-page .kpi-row")
    assert page.inner_text("#plan-saved-yuan") == number(expected["expected"]["saved_yuan"])
    assert page.inner_text("#plan-peak") == number(expected["expected"]["peak_kw_plan"])
    e, tiles = expected["expected"], page.inner_text("#plan-page .kpi-row")
    assert f"储能闲置时 {number(e['peak_kw_idle'])} kW" in tiles
    month_said = f"本月至今最大需量 {number(expected['month_peak_kw_so_far'])} kW" in tiles
    assert month_said == (e["peak_kw_plan"] > e["peak_kw_idle"])  # said when the plan's peak is above idle
    assert ("低于零" in tiles) == (e["saved_tco2e"] < 0)
    source = page.inner_text("#plan-source")
    assert str(day) in source and "晴空模型 × 近期晴空指数" in source  # no forecast kept yet
    fitted = pd.Timestamp(expected["load_models_fitted_at"]).tz_convert(console.timezone)  # type: ignore[attr-defined]
    assert f"负荷模型训练于 {fitted:%Y-%m-%d %H:%M}" in source
    assert "电价为占位值，未确认" in page.inner_text("#plan-tariff-placeholder")
    saved = running_console.data_dir / "plans" / f"{day}.json"  # the plan shown is the plan the simulator follows
    assert saved.is_file() and '"storage_kw/storage-1"' in saved.read_text(encoding="utf-8")
    page.screenshot(path=str(artifacts_dir / "dashboard-plan-zh.png"), full_page=True)
    try:
        _keep_forecast_from_the_broker(running_console, mosquitto.port, str(day))
        with_forecast = compute(console, day)  # type: ignore[arg-type]
        page.reload()  # a newly kept forecast is a new plan at once, not after the page's ten-minute cache
        page.wait_for_selector("#plan-source >> text=发布的天气预报", timeout=90_000)
        issued = pd.Timestamp(with_forecast["pv_forecast"]["issued"]).tz_convert(console.timezone)  # type: ignore[attr-defined]
        assert issued.strftime("%H:%M") == "18:00"  # the simulator issues at 18:00 the evening before
        source = page.inner_text("#plan-source")
        assert f"{issued:%Y-%m-%d %H:%M} 发布的天气预报（zerocarbon simulator (seed 7)）" in source
        assert page.inner_text("#plan-saved-yuan") == number(with_forecast["expected"]["saved_yuan"])
        page.click("#lang-en")
        page.wait_for_selector("text=Expected saving tomorrow")
        assert "Tomorrow's plan" in page.inner_text("#plan-page h2")
        source = page.inner_text("#plan-source")
        assert f"the weather forecast issued {issued:%Y-%m-%d %H:%M} (zerocarbon simulator (seed 7))" in source
        assert f"Load models fitted {fitted:%Y-%m-%d %H:%M}" in source  # the same fit: it is kept for the day
        assert "placeholder, not confirmed" in page.inner_text("#plan-tariff-placeholder")
        page.screenshot(path=str(artifacts_dir / "dashboard-plan-en.png"), full_page=True)
    finally:  # the session's console goes on without a forecast for the other tests
        shutil.rmtree(running_console.data_dir / "weather_forecasts", ignore_errors=True)
        console.snapshots.clear()  # type: ignore[attr-defined]
