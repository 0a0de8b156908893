"""A language switch in real headless Chromium: the page is drawn again in the other language with every choice
the user made on it (period, comparison, subsystem), and the date picker and the charts' date axes speak the
page's language (weekday initials, month and day names). Screenshots go to tests/artifacts/ (looked at)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole, choose, goto, poll

pytestmark = pytest.mark.browser


def _column(page, table: str, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.query_selector_all("td")[index].inner_text() for row in page.query_selector_all(f"{table} tr")
            if row.query_selector_all("td")]


def _open_calendar(page, picker: str, tries: int = 4) -> None:  # type: ignore[no-untyped-def]
    """Dash loads the date picker's code on demand: under load a click can land before it runs and open
    nothing, so click again until the calendar shows."""
    for attempt in range(tries):
        page.click(picker)
        try:
            page.wait_for_selector(".dash-datepicker-calendar", state="visible", timeout=15_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def test_a_language_switch_keeps_the_chosen_period_comparison_and_subsystem(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.pages.subsystem_detail import figures

    c = running_console.console
    now = c.now()  # type: ignore[attr-defined]
    week = figures(c, "chiller_plant", c.local_midnight() - timedelta(days=6), now)  # type: ignore[attr-defined,arg-type]
    page = console_page("viewer", "/subsystems")
    page.click("#subsystems-period >> text=近7天")
    page.click("#subsystems-compare >> text=环比")
    choose(page, "#subsystem-focus", "冷站系统")
    page.wait_for_selector("#focus-comparison table")
    assert page.inner_text("#focus-kwh") == f"{week[0]:,.0f}"
    page.click("#lang-en")
    page.wait_for_selector("#subsystems-page >> text=Share of the building")  # drawn again, in English
    page.wait_for_selector("#logout >> text='Sign out'")  # the top bar's sign-out too (it read 退出 / Sign out)
    assert "Chiller plant" in page.inner_text("#subsystem-focus")
    assert page.is_checked('#subsystems-period input[value="week"]')
    assert page.is_checked('#subsystems-compare input[value="previous"]')
    page.wait_for_selector("#focus-comparison >> text=Earlier period")
    # the week before has no readings (3 days of history): each card says so, not "previous — kWh, —%"
    page.wait_for_selector("#sub-versus-chiller_plant >> text=previous: no readings stored for that period")
    shown = poll(page, lambda: page.inner_text("#focus-kwh"), lambda v: v == f"{week[0]:,.0f}", 60, 500)
    assert shown == f"{week[0]:,.0f}"  # the week's figure, not today's (the layout's default)
    page.screenshot(path=str(artifacts_dir / "language-kept-subsystems-en.png"), full_page=True)


def test_the_date_picker_and_the_charts_name_days_and_months_in_the_page_language(
    console_page, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    page = console_page("viewer", "/ev")
    for lang, monday, month_mark in (("zh", "一", "年"), ("en", "Mo", "")):
        page.click(f"#lang-{lang}")
        page.wait_for_selector(f"#ev-page >> text={'充电' if lang == 'zh' else 'EV charging'}")
        zh = lang == "zh"  # a date axis: 00:00 … and the day, 2026年12月3日 / Dec 3, 2026

        def axis() -> str:
            return page.text_content("#ev-in-use .xaxislayer-above") or ""

        shown = poll(page, axis, lambda v, zh=zh: ("年" in v) == zh and "00:00" in v, 60, 500)
        assert ("年" in shown) == zh and "00:00" in shown, (lang, shown)
        _open_calendar(page, "#ev-range")
        header = page.locator(".dash-datepicker-calendar-container").first.inner_text()
        assert monday in header.split(), (lang, header)  # weeks start on Monday, named in the page's language
        if month_mark:
            assert month_mark in header
        year = page.locator(".dash-datepicker-controls .dash-input-element").first
        assert year.evaluate("e => e.scrollWidth - e.clientWidth") <= 0  # the year reads 2026, not "202("
        page.screenshot(path=str(artifacts_dir / f"date-picker-{lang}.png"))
        page.keyboard.press("Escape")
    page.click("#ev-period >> text=7 days")  # 3 days of history: the week's figures say they are a lower bound
    page.wait_for_selector("#ev-kpis >> text=meter data for")
    page.screenshot(path=str(artifacts_dir / "ev-week-partly-covered-en.png"), full_page=True)
    goto(page, "/carbon")  # 30 days against the 30 before, over 3 days of history: no "change" of -90 %
    page.wait_for_selector("#carbon-comparison-coverage >> text=This period has meter data on")
    assert set(_column(page, "#carbon-comparison", 3)) == {"—"}
