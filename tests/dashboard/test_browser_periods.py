"""Period comparisons and the free date range in real headless Chromium, both languages: the Overview,
Renewables, Carbon and EV pages compare a period with the one before (or a year earlier), and a range chosen
in the date picker moves the charts and what their download buttons save. Numbers on screen are checked
against the functions below the console; screenshots go to tests/artifacts/ and were looked at."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole, choose, goto, poll

pytestmark = pytest.mark.browser


def _pick_range(page, picker: str, first: date, last: date) -> None:  # type: ignore[no-untyped-def]
    """Click two days in the picker's calendar, which opens on the site's current month (both days are in it)."""
    page.click(picker)
    month = page.locator(".dash-datepicker-calendar").first
    for day in (first, last):
        month.locator("td.dash-datepicker-calendar-date-inside", has_text=re.compile(rf"^{day.day}$")).click()


def _download_rows(page, button: str, tmp_path: Path) -> list[list[str]]:  # type: ignore[no-untyped-def]
    with page.expect_download() as download:
        page.click(f'button[title="{button}"]')
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    return list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))


def _rows_once_settled(page, button: str, tmp_path: Path, total: float) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The download once the chart shows ``total`` (a re-render takes a moment); the last rows after 60 s, for the
    assertion to report."""
    def settled(rows: list[list[str]]) -> bool:
        return len(rows) > 1 and sum(float(r[1]) for r in rows[1:]) == pytest.approx(total, rel=1e-6)

    return poll(page, lambda: _download_rows(page, button, tmp_path), settled, tries=120, every_ms=500)


def _range_days(console: RunningConsole) -> tuple[date, date, datetime, datetime]:
    """The last two whole site days with history (one, on the 1st of a month: the picker shows one month)."""
    c = console.console
    today = c.now().astimezone(c.timezone).date()  # type: ignore[attr-defined]
    first = max(today - timedelta(days=1), today.replace(day=1))
    start = datetime(first.year, first.month, first.day, tzinfo=c.timezone)  # type: ignore[attr-defined]
    return first, today, start, c.now()  # type: ignore[attr-defined]


def test_a_date_range_moves_the_charts_and_their_downloads_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.pages.renewables import produced

    first, last, start, end = _range_days(running_console)
    pv_kwh = produced(running_console.console, start, end)[0]  # type: ignore[arg-type]
    page = console_page("viewer", "/renewables")
    page.wait_for_selector("#pv-inverters .main-svg .barlayer")
    today_rows = _download_rows(page, "CSV: pv-inverters", tmp_path)
    _pick_range(page, "#renewables-range", first, last)
    page.keyboard.press("Escape")
    rows = _rows_once_settled(page, "CSV: pv-inverters", tmp_path, pv_kwh)
    assert first == last or rows != today_rows
    shown = sum(float(r[1]) for r in rows[1:])
    assert len(rows) == 17 and shown == pytest.approx(pv_kwh, rel=1e-6)  # 16 inverters, the range's energy
    soc = _download_rows(page, "CSV: storage-soc", tmp_path)
    stamps = [datetime.fromisoformat(r[0]) for r in soc[1:]]
    assert min(stamps).date() == first and max(stamps).date() == last  # the chart's x follows the range
    page.screenshot(path=str(artifacts_dir / "range-renewables-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#renewables-page >> text=vs a year earlier")
    _pick_range(page, "#renewables-range", first, last)
    page.keyboard.press("Escape")
    rows = _rows_once_settled(page, "CSV: pv-inverters", tmp_path, pv_kwh)
    assert sum(float(r[1]) for r in rows[1:]) == pytest.approx(pv_kwh, rel=1e-6)
    page.screenshot(path=str(artifacts_dir / "range-renewables-en.png"), full_page=True)
    page.click("#lang-zh")


def _comparison(page, table: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    rows = page.query_selector_all(f"{table} tr")
    return {r.query_selector_all("td")[0].inner_text(): [c.inner_text() for c in r.query_selector_all("td")[1:]]
            for r in rows if r.query_selector_all("td")}


def test_overview_carbon_ev_and_renewables_compare_with_the_previous_period_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.kpis import period_summary
    from dashboard.pages.ev import _fleet_points, charging, headline
    from dashboard.pages.renewables import produced

    c = running_console.console
    today, now = c.local_midnight(), c.now()  # type: ignore[attr-defined]
    yesterday = (today - timedelta(days=1), now - timedelta(days=1))
    before = period_summary(c, *yesterday)  # type: ignore[arg-type]
    page = console_page("viewer")
    page.wait_for_selector("#overview-comparison table")
    shown = _comparison(page, "#overview-comparison")
    assert shown["电网购电"][1] == f"{before.grid_import_kwh:,.0f} kWh"  # today against yesterday, by default
    assert shown["范围二排放（基于位置）"][1] == f"{before.scope2_location_kg:,.0f} kgCO₂e"
    page.screenshot(path=str(artifacts_dir / "compare-overview-zh.png"), full_page=True)

    page.click("#overview-compare >> text=同比")  # a year earlier: the 3-day history does not reach back
    page.wait_for_selector("#overview-comparison >> text=该时段没有存储的读数")

    goto(page, "/ev")
    page.click("#ev-compare >> text=环比")
    page.wait_for_selector("#ev-comparison table")
    points = _fleet_points(c)  # type: ignore[arg-type]
    ev_before = headline(c, points, charging(c, *yesterday)[0], yesterday)  # type: ignore[arg-type]
    assert _comparison(page, "#ev-comparison")["充电电量"][1] == f"{ev_before[0]:,.0f} kWh"
    assert "个百分点" in _comparison(page, "#ev-comparison")["本地可再生能源占比"][2]  # a share moves in points

    goto(page, "/renewables")
    page.click("#renewables-compare >> text=环比")
    page.wait_for_selector("#renewables-comparison table")
    pv_before = produced(c, *yesterday)[0]  # type: ignore[arg-type]
    assert _comparison(page, "#renewables-comparison")["光伏（逐台逆变器，PR 对比 pvlib 期望值）"][1] == \
        f"{pv_before:,.0f} kWh"

    page.click("#lang-en")
    goto(page, "/carbon")
    page.wait_for_selector("#carbon-comparison table")  # the last 30 days against the 30 before
    carbon = _comparison(page, "#carbon-comparison")
    now_30 = period_summary(c, today - timedelta(days=29), now)  # type: ignore[arg-type]
    assert carbon["Grid import"][0] == f"{now_30.grid_import_kwh:,.0f} kWh"
    assert carbon["Grid import"][1] == "no readings stored for that period"  # the history is 3 days long
    page.screenshot(path=str(artifacts_dir / "compare-carbon-en.png"), full_page=True)
    goto(page, "/ev")
    page.click("#ev-compare >> text=vs previous period")
    page.wait_for_selector("#ev-comparison >> text=Earlier period")
    page.screenshot(path=str(artifacts_dir / "compare-ev-en.png"), full_page=True)
    page.click("#lang-zh")


def test_one_subsystems_trend_share_and_intensity_and_power_distribution_by_kind_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.pages.subsystem_detail import figures, split_by_kind

    c = running_console.console
    today, now = c.local_midnight(), c.now()  # type: ignore[attr-defined]
    kwh, share, per_m2 = figures(c, "chiller_plant", today, now)  # type: ignore[arg-type]
    before = figures(c, "chiller_plant", today - timedelta(days=1), now - timedelta(days=1))  # type: ignore[arg-type]
    split = split_by_kind(c, "power_distribution", today, now)  # type: ignore[arg-type]
    assert {"grid_meter", "pv_inverter", "storage", "wind", "sub_meter"} <= set(split["kind"])
    page = console_page("viewer", "/subsystems")
    bars = page.wait_for_selector("#power-distribution-split .main-svg .barlayer")  # without any drill-down
    assert "光伏逆变器 · 发电" in page.inner_text("#power-distribution-split")
    pv = split[(split["kind"] == "pv_inverter") & (split["role"] == "pv")]["energy_kwh"].sum()
    assert f"{pv:,.0f} kWh" in (bars.text_content() or "")
    page.wait_for_selector("#subsystem-focus-body >> text=请在上方选择一个子系统")
    choose(page, "#subsystem-focus", "冷站系统")
    page.wait_for_selector("#subsystem-focus-trend .main-svg .scatterlayer .trace")
    assert page.inner_text("#focus-kwh") == f"{kwh:,.0f}"
    assert page.inner_text("#focus-share") == f"{share * 100:.1f}"
    assert page.inner_text("#focus-intensity") == f"{per_m2:,.3f}"
    page.click("#subsystems-compare >> text=环比")
    page.wait_for_selector("#focus-comparison table")
    assert len(page.query_selector_all("#subsystem-focus-trend .scatterlayer .trace")) == 2  # and yesterday, dashed
    assert _comparison(page, "#focus-comparison")["用电量"][1] == f"{before[0]:,.0f} kWh"
    page.locator("#subsystem-focus-section").screenshot(path=str(artifacts_dir / "subsystem-focus-zh.png"))
    page.click("#lang-en")
    page.wait_for_selector("#power-distribution-split >> text=PV inverter · generated")
    page.wait_for_selector("#subsystem-focus-section >> text=Share of the building")
    page.screenshot(path=str(artifacts_dir / "subsystems-split-en.png"), full_page=True)
    page.click("#lang-zh")
