"""An alarm from raise to close in the operator's own language, in real headless Chromium: device names and
rule texts from site.yaml and the catalog, the history following every change without a filter click, shelved
and cleared rows marked, the top bar's count; plus the phone layout and the dark theme.
Screenshots land in tests/artifacts/ (looked at: Chinese renders, rows are told apart)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole, choose

pytestmark = pytest.mark.browser


def _raise(console: RunningConsole, rule: str, point: str, message: str, value: float | None):  # type: ignore[no-untyped-def]
    change = console.journal.condition_raised(f"{rule}:{point}", rule, point, "high", message, value,  # type: ignore[attr-defined]
                                              time.time())
    assert change is not None
    return change.alarm


def test_an_alarm_reads_in_chinese_and_english_with_device_and_location(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    alarm = _raise(running_console, "pv-inverter-events", "pv-inv-05.Evt1", "pv-inv-05.Evt1: GROUND_FAULT (0x0001)",
                   1.0)
    page = console_page("operator", "/alarms")
    row = page.wait_for_selector(f"#alarm-row-{alarm.id}")
    text = row.inner_text()
    assert "5号光伏逆变器" in text and "供配电系统" in text and "逆变器事件告警：接地故障" in text
    assert "pv-inv-05.Evt1" not in text  # the raw point id only on hover
    badge = page.inner_text("#alarm-badge")
    assert badge == f"{len(running_console.journal.active(include_shelved=False))} 条告警"  # type: ignore[attr-defined]
    page.screenshot(path=str(artifacts_dir / "alarms-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector(f"#alarm-row-{alarm.id} >> text=Inverter event flags: ground fault")
    assert "PV inverter 5" in page.inner_text(f"#alarm-row-{alarm.id}")
    page.screenshot(path=str(artifacts_dir / "alarms-en.png"), full_page=True)
    page.click("#lang-zh")


def test_history_follows_raise_ack_and_shelve_without_a_filter_click(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    page = console_page("operator", "/alarms")
    page.wait_for_selector("#alarm-history-table")
    low = _raise(running_console, "storage-soc-low", "storage-2.soc_pct", "storage-2.soc_pct = 4 % (low limit 10)", 4.0)
    rows = f"#alarm-history-table tr:has(td:text-is('#{low.id}'))"
    page.wait_for_selector(f"{rows} >> text=电池荷电状态过低")  # raised by the engine: arrives with the tick
    page.click(f"#alarm-row-{low.id} button.ack")
    page.wait_for_selector(f"{rows}.acknowledged")
    hot = _raise(running_console, "storage-cell-over-temperature", "storage-1.cell_temp_max_c", "hot", 47.0)
    page.wait_for_selector(f"#alarm-row-{hot.id}")
    choose(page, "#shelve-alarm", f"#{hot.id} ")
    page.fill("#shelve-reason", "维护中 / maintenance")
    page.click("#shelve-button")
    page.wait_for_selector(f"#alarm-history-table tr.shelved:has(td:text-is('#{hot.id}'))")
    shelved_row = page.wait_for_selector(f"#alarm-row-{hot.id}.shelved")
    assert "已搁置" in shelved_row.inner_text()
    running_console.journal.condition_cleared("storage-soc-low:storage-2.soc_pct", "back", 30.0,  # type: ignore[attr-defined]
                                              time.time())
    page.wait_for_selector(f"#alarm-history-table tr.cleared:has(td:text-is('#{low.id}'))")
    page.screenshot(path=str(artifacts_dir / "alarms-history-zh.png"), full_page=True)
    colours = {cls: page.eval_on_selector(f"#alarm-row-{aid}", "e => getComputedStyle(e).backgroundImage")
               for cls, aid in (("shelved", hot.id),)}
    assert "gradient" in colours["shelved"]  # shelved rows are striped, unlike active ones


def test_phone_width_keeps_the_navigation_usable_and_dark_theme_applies(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    page = console_page("viewer", viewport={"width": 390, "height": 844})
    link = page.query_selector('#topbar a[href="/alarms"]')
    box = link.bounding_box()
    assert box is not None and box["width"] > box["height"]  # a word on one line, not a letter per line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # the page does not scroll sideways
    page.screenshot(path=str(artifacts_dir / "overview-390px-zh.png"), full_page=True)
    page.click("#theme-toggle")
    page.wait_for_selector("body.dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 24, 31)"
    page.reload()
    page.wait_for_selector("body.dark")  # kept in the browser
    page.screenshot(path=str(artifacts_dir / "overview-390px-dark-zh.png"), full_page=True)
    page.click("#theme-toggle")
    page.wait_for_selector("body:not(.dark)")


def test_the_history_fill_shows_its_progress_on_every_page_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.fill_status import FillStatus, attach

    status = FillStatus()
    status.begin("history", 30, "days")
    status.advance(12)
    attach(running_console.console, status)
    try:
        page = console_page("viewer")
        banner = page.wait_for_selector("#fill-banner >> text=正在补录历史数据（模拟历史读数）：12/30 天")
        assert page.get_attribute("#fill-progress", "value") == "12"
        page.screenshot(path=str(artifacts_dir / "fill-banner-zh.png"))
        page.click("#lang-en")
        page.wait_for_selector("#fill-banner >> text=Filling in the history (simulated readings): 12/30 days")
        page.screenshot(path=str(artifacts_dir / "fill-banner-en.png"))
        page.click("#lang-zh")
        status.advance(18)
        status.finish()
        banner.wait_for_element_state("hidden")  # gone at the next tick once the fill is done
    finally:
        status.finish()
