"""The Plan page in a real headless Chromium: tomorrow's forecast, the storage plan and its expected saving, in
中文 and English, with the numbers ``planning.tomorrow.plan_tomorrow`` computes for the same store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole

pytestmark = pytest.mark.browser


def test_plan_page_shows_tomorrows_forecast_plan_and_saving_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.components import number
    from dashboard.pages.plan import compute, tomorrow

    console = running_console.console
    day = tomorrow(console)  # type: ignore[arg-type]
    expected = compute(console, day)  # type: ignore[arg-type]
    page = console_page("admin", "/plan")
    page.wait_for_selector("#plan-chart .main-svg .scatterlayer .trace", timeout=90_000)
    assert "明日计划" in page.inner_text("#plan-page h2")
    assert "明日预计节省" in page.inner_text("#plan-page .kpi-row")
    assert page.inner_text("#plan-saved-yuan") == number(expected["expected"]["saved_yuan"])
    assert page.inner_text("#plan-peak") == number(expected["expected"]["peak_kw_plan"])
    assert str(day) in page.inner_text("#plan-source")
    assert "电价为占位值，未确认" in page.inner_text("#plan-tariff-placeholder")
    saved = running_console.data_dir / "plans" / f"{day}.json"  # the plan shown is the plan the simulator follows
    assert saved.is_file() and '"storage_kw/storage-1"' in saved.read_text(encoding="utf-8")
    page.screenshot(path=str(artifacts_dir / "dashboard-plan-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("text=Expected saving tomorrow")
    assert "Tomorrow's plan" in page.inner_text("#plan-page h2")
    assert "placeholder, not confirmed" in page.inner_text("#plan-tariff-placeholder")
    page.screenshot(path=str(artifacts_dir / "dashboard-plan-en.png"), full_page=True)
