"""The facility manager's and auditor's views in real headless Chromium, both languages: EV charging, the
Overview's additions, subsystems, comparisons and downloads. Numbers on screen are checked against the
functions below the console (storage, carbon), screenshots go to tests/artifacts/ and were looked at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole, choose, open_dropdown, poll

pytestmark = pytest.mark.browser


def test_ev_view_shows_chargers_energy_sessions_and_renewable_share(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.pages.ev import renewable_ev, sessions_started
    from dashboard.periods import energy_interval_for
    from dashboard.sources import energy_frame, latest_values

    c = running_console.console
    start, end = c.local_midnight(), c.now()  # type: ignore[attr-defined]
    by = energy_interval_for(end - start)  # the page's intervals (15 min for a day): the share is per interval
    per_interval, _ = renewable_ev(energy_frame(c, start, end, by=by))  # type: ignore[arg-type]
    in_use = latest_values(c, [p for p in c.points if p.id == "ev-platform.chargers_active"])  # type: ignore[attr-defined]
    assert per_interval["ev_kwh"].sum() > 1000  # a working day's sessions charged something
    expected = {
        "#ev-energy-kwh": f"{per_interval['ev_kwh'].sum():,.0f}",
        "#ev-chargers-in-use": f"{in_use['ev-platform.chargers_active']:,.0f}",
        "#ev-sessions": f"{sessions_started(c, {'sessions': 'ev-platform.sessions'}, (start, end)):,.0f}",  # type: ignore[arg-type]
        "#ev-renewable-share": f"{per_interval['renewable_kwh'].sum() / per_interval['ev_kwh'].sum() * 100:.1f}",
    }
    page = console_page("viewer", "/ev")
    page.wait_for_selector("#ev-energy .main-svg .barlayer")
    assert {k: page.inner_text(k) for k in expected} == expected
    assert int(page.inner_text("#ev-sessions").replace(",", "")) > 100
    assert "/ 611" in page.inner_text("#ev-kpis") and "/ 2,846" in page.inner_text("#ev-kpis")
    assert "本地可再生能源占比" in page.inner_text("#ev-kpis")
    page.screenshot(path=str(artifacts_dir / "ev-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#ev-kpis >> text=From on-site renewables")
    today_kwh = page.inner_text("#ev-energy-kwh")
    assert page.inner_text("#ev-body .updated").startswith("Updated ")
    page.click("#ev-period >> text=7 days")
    poll(page, lambda: page.inner_text("#ev-energy-kwh"), lambda shown: shown != today_kwh, tries=600, every_ms=100)
    assert float(page.inner_text("#ev-energy-kwh").replace(",", "")) > float(today_kwh.replace(",", ""))
    page.screenshot(path=str(artifacts_dir / "ev-en.png"), full_page=True)
    page.click("#lang-zh")


def test_overview_has_month_carbon_grid_intensity_day_curve_and_a_sankey_with_numbers(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    import pandas as pd

    from carbon.ledger import ledgers
    from dashboard.report_bridge import carbon_files, local_energy

    c = running_console.console
    now = c.now()  # type: ignore[attr-defined]
    tz = c.site.info.timezone  # type: ignore[attr-defined]
    month_start = pd.Timestamp(now).tz_convert(tz).normalize().replace(day=1)
    factors, config = carbon_files(c)  # type: ignore[arg-type]
    energy = local_energy(c, month_start.tz_convert("UTC"), now, "hour")  # type: ignore[arg-type]
    month_kg = sum(m.location_kg for m in ledgers(energy, month_start, pd.Timestamp(now).tz_convert(tz), factors,
                                                  config))
    intensity = factors.series("electricity_location", config.factors.location_region,
                               pd.DatetimeIndex([pd.Timestamp(now).tz_convert(tz)]))[0].iloc[0]
    page = console_page("viewer")
    page.wait_for_selector("#overview-day-curve .main-svg .scatterlayer .trace")
    assert page.inner_text("#kpi-carbon-month") == f"{month_kg / 1000:,.1f}"
    assert page.inner_text("#kpi-grid-intensity") == f"{intensity:,.3f}"
    assert len(page.query_selector_all("#overview-day-curve .scatterlayer .trace")) >= 3  # load, PV, grid (+ wind)
    sankey = page.inner_text("#overview-sankey")
    assert "电网" in sankey and "kWh" in sankey
    fills = page.eval_on_selector_all("#overview-sankey .sankey-link", "ls => ls.map(l => getComputedStyle(l).fill)")
    assert fills and "rgb(255, 255, 255)" not in fills  # links drawn in their source colour, not white
    page.screenshot(path=str(artifacts_dir / "overview-additions-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#overview-carbon >> text=Grid carbon intensity")
    page.wait_for_selector("#overview-sankey >> text=Grid")
    page.screenshot(path=str(artifacts_dir / "overview-additions-en.png"), full_page=True)
    page.click("#lang-zh")


def test_subsystems_rank_all_17_with_share_and_area_and_split_power_distribution_by_kind(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    page = console_page("viewer", "/subsystems")
    page.wait_for_selector("#subsystems-top .main-svg .barlayer")
    bars = page.query_selector_all("#subsystems-top .barlayer .point")
    assert len(bars) == 17  # every subsystem, not a top 10
    labels = page.inner_text("#subsystems-top")
    assert labels.count("kWh/m²") == 17 and "%" in labels
    # the trend's legend sits beside the plot, not over it
    legend = page.query_selector("#subsystems-trend .legend").bounding_box()
    plot = page.query_selector("#subsystems-trend .nsewdrag").bounding_box()
    assert legend and plot and legend["x"] >= plot["x"] + plot["width"] - 1
    # the stacked trend's last point is a whole interval, not the one still filling (no plunge to 0)
    ends = page.evaluate("""() => document.querySelector('#subsystems-trend .js-plotly-plot')._fullData
                                   .map(trace => Array.from(trace.y).slice(-2))""")
    stacked_before, stacked_last = sum(e[0] for e in ends), sum(e[1] for e in ends)
    assert stacked_last > 0.7 * stacked_before  # the stacked total does not drop at the right edge
    choose(page, "#drill-subsystem", "供配电系统")
    open_dropdown(page, "#drill-device")
    page.wait_for_selector(".dash-dropdown-option:has-text('grid-meter-1')")
    options = "\n".join(o.inner_text() for o in page.query_selector_all(".dash-dropdown-option"))
    for kind_and_device in ("进线电表 · grid-meter-1", "光伏逆变器 · pv-inv-01", "储能 · storage-2"):
        assert kind_and_device in options
    page.keyboard.press("Escape")
    page.screenshot(path=str(artifacts_dir / "subsystems-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#subsystems-top >> text=Chiller plant")
    page.screenshot(path=str(artifacts_dir / "subsystems-en.png"), full_page=True)
    page.click("#lang-zh")


def test_every_chart_and_table_downloads_as_csv_and_excel_what_it_shows(
    console_page, running_console: RunningConsole, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    import csv

    from openpyxl import load_workbook

    page = console_page("viewer", "/subsystems")
    page.wait_for_selector("#subsystems-top .main-svg .barlayer")
    with page.expect_download() as download:
        page.click('button[title="CSV: subsystems-top"]')
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    rows = list(csv.reader(saved.read_text(encoding="utf-8-sig").splitlines()))
    assert saved.name.startswith("zerocarbon-subsystems-top-") and len(rows) == 18  # header + all 17 subsystems
    shown = {r[0]: float(r[1]) for r in rows[1:]}
    assert "冷站系统" in shown  # in the reader's language, as on screen
    assert page.inner_text("#sub-energy-chiller_plant") == f"{shown['冷站系统']:,.0f} kWh"
    page.click('#topbar a[href="/alarms"]')
    page.wait_for_selector("#alarm-history-table")
    with page.expect_download() as download:
        page.click('button[title="Excel: alarm-history"]')
    book = tmp_path / download.value.suggested_filename
    download.value.save_as(book)
    sheet = load_workbook(book).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["时间", "告警", "设备"]
    assert sheet.max_row == len(page.query_selector_all("#alarm-history-table tr"))


def test_an_auditor_picks_any_quarter_for_the_report_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    local = running_console.console.now().astimezone(running_console.console.timezone)  # type: ignore[attr-defined]
    quarter = f"{local.year - 1}-Q{(local.month - 1) // 3 + 1}"
    page = console_page("auditor", "/reports")
    choose(page, "#report-period", quarter, search=quarter)
    page.wait_for_selector(f"#report-download[href*='period={quarter}']")
    page.screenshot(path=str(artifacts_dir / "reports-quarter-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#report-download >> text=Download report")
    page.screenshot(path=str(artifacts_dir / "reports-quarter-en.png"), full_page=True)
    page.click("#lang-zh")


def test_subsystems_compare_with_yesterday_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from datetime import timedelta

    from dashboard.sources import balance, energy_frame

    c = running_console.console
    midnight, now = c.local_midnight(), c.now()  # type: ignore[attr-defined]
    yesterday = balance(energy_frame(c, midnight - timedelta(days=1), now - timedelta(days=1), by="day"))  # type: ignore[arg-type]
    page = console_page("viewer", "/subsystems")
    page.click("#subsystems-compare >> text=环比（上一期）")
    versus = page.wait_for_selector("#sub-versus-chiller_plant")
    assert versus.inner_text().startswith(f"上期 {yesterday.subsystems['chiller_plant']:,.0f} kWh，")
    page.screenshot(path=str(artifacts_dir / "subsystems-compare-zh.png"), full_page=True)
    page.click("#lang-en")
    page.click("#subsystems-compare >> text=vs a year earlier")
    page.wait_for_selector("#sub-versus-chiller_plant >> text=a year earlier")
    page.screenshot(path=str(artifacts_dir / "subsystems-compare-en.png"), full_page=True)
    page.click("#lang-zh")
