"""The console in a real headless Chromium (Playwright driving Debian's /usr/bin/chromium): sign in, every page,
KPI numbers equal to the carbon module's, acknowledge an alarm, download a report, and what a viewer cannot do.
Screenshots land in tests/artifacts/ (check the Chinese labels render, not tofu boxes)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.conftest import RunningConsole, choose, poll

pytestmark = pytest.mark.browser
PAGES = ["/", "/renewables", "/subsystems", "/carbon", "/alarms", "/reports"]


def _expected_kpis(console: RunningConsole) -> dict[str, str]:
    """The same numbers from the carbon module itself, formatted as the tiles format them."""
    from carbon.ledger import balance_of, ledgers, role_totals
    from carbon.offsets import self_consumption_ratio, self_sufficiency_ratio
    from dashboard.report_bridge import carbon_files
    from storage.energy import energy_by_role

    c = console.console
    now, midnight = c.now(), c.local_midnight()  # type: ignore[attr-defined]
    tz = c.site.info.timezone  # type: ignore[attr-defined]
    energy = energy_by_role(c.store, c.site, midnight, now, "hour")  # type: ignore[attr-defined]
    energy = energy.assign(start=pd.to_datetime(energy["start"]).dt.tz_convert(tz))
    balance = balance_of(role_totals(energy))
    factors, config = carbon_files(c)  # type: ignore[arg-type]
    months = ledgers(energy, pd.Timestamp(midnight).tz_convert(tz), pd.Timestamp(now).tz_convert(tz), factors, config)
    return {
        "#kpi-consumption": f"{balance.load_kwh:,.0f}",
        "#kpi-self-sufficiency": f"{self_sufficiency_ratio(balance) * 100:.1f}",
        "#kpi-self-consumption": f"{self_consumption_ratio(balance) * 100:.1f}" if balance.generation_kwh else "—",
        "#kpi-carbon-today": f"{sum(m.location_kg for m in months):,.0f}",
        "#kpi-alarms": f"{len(console.journal.active(include_shelved=False)):,.0f}",  # as the top bar  # type: ignore[attr-defined]
    }


def test_admin_visits_every_page_and_the_kpis_equal_the_carbon_module(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    page = console_page("admin")
    expected = _expected_kpis(running_console)
    # the first view may be the previous tick's shared snapshot; the tick brings the next
    shown = poll(page, lambda: {selector: page.inner_text(selector) for selector in expected},
                 lambda tiles: tiles == expected, tries=100, every_ms=200)
    assert shown == expected
    assert "总览" in page.inner_text("#topbar")
    page.wait_for_selector("#overview-sankey .main-svg")
    page.screenshot(path=str(artifacts_dir / "dashboard-overview-zh.png"), full_page=True)
    page.click('#topbar a[href="/renewables"]')
    page.click("#renewables-period >> text=近一年")  # a year reads day rollups: 365 points per series
    page.wait_for_selector("#storage-soc .main-svg .scatterlayer .trace", timeout=60_000)
    for path, ready in [("/renewables", "#pv-inverters .main-svg"), ("/subsystems", "#sub-lighting"),
                        ("/carbon", "#carbon-ytd"), ("/alarms", ".alarm-row"), ("/reports", "#report-download")]:
        page.click(f'#topbar a[href="{path}"]')
        page.wait_for_selector(ready, timeout=60_000)
        page.screenshot(path=str(artifacts_dir / f"dashboard-{path.strip('/')}-zh.png"), full_page=True)
        if path == "/carbon":
            _check_carbon_page(page, running_console)
    page.click("#lang-en")
    page.wait_for_selector("text=Download report")
    page.click('#topbar a[href="/"]')
    page.wait_for_selector("text=Self-sufficiency")
    page.screenshot(path=str(artifacts_dir / "dashboard-overview-en.png"), full_page=True)


def test_live_power_flow_updates_without_reloading(console_page, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from models.reading import Reading

    page = console_page("viewer")
    page.evaluate("window.__not_reloaded = true")
    store = running_console.console.store
    # The seeded history runs a minute past the session's start, so "now" alone can be older than the newest
    # seeded reading when this test runs early: write after both.
    seeded = store.latest(["grid-meter-1.p_kw", "grid-meter-2.p_kw"])["ts"].max().timestamp()
    now = max(datetime.now(UTC).timestamp(), seeded + 1.0)
    # grid = sum of both meters' latest p_kw: 4,000 + 2,345 = 6,345 kW
    store.write([Reading("grid-meter-1.p_kw", now, 4000.0),  # type: ignore[attr-defined]
                 Reading("grid-meter-2.p_kw", now, 2345.0)])
    page.wait_for_selector("#overview-flow >> text=6,345 kW", timeout=60_000)
    assert page.evaluate("window.__not_reloaded") is True


def _check_carbon_page(page, console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    """The Carbon page shows the year's report model (the same dict the downloaded report renders)."""
    from dashboard.pages.carbon import year_model

    management = year_model(console.console)["strategies"]["management"]  # type: ignore[arg-type]
    assert page.inner_text("#carbon-ytd") == f"{management['ytd_tco2e']:,.1f}"
    assert page.inner_text("#carbon-budget") == f"{management['budget_tco2e']:,.0f}"


def test_subsystem_drill_down_shows_points_with_quality(console_page, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    page = console_page("viewer", "/subsystems")
    choose(page, "#drill-subsystem", "智能照明系统")
    choose(page, "#drill-device", "meter-lighting")
    table = page.wait_for_selector("#points-table")
    assert "p_kw" in table.inner_text() and "良好" in table.inner_text()


def test_operator_acknowledges_an_alarm_in_the_browser(console_page, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    journal = running_console.journal
    target = next(a for a in journal.active() if a.priority == "critical")  # type: ignore[attr-defined]
    page = console_page("operator", "/alarms")
    page.click(f"#alarm-row-{target.id} button.ack")
    page.wait_for_selector(f"#alarm-message:has-text('告警 #{target.id} 已确认')")
    after = journal.get(target.id)  # type: ignore[attr-defined]
    assert (after.state, after.acked_by) == ("active_ack", "operator")
    page.wait_for_selector(f"#alarm-row-{target.id} button.ack", state="detached")  # list refreshed


def test_auditor_downloads_the_carbon_report(console_page, running_console: RunningConsole, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = console_page("auditor", "/reports")
    choose(page, "#report-format", "JSON")
    page.wait_for_selector("#report-download[href*='format=json']")  # (wait_for_function's eval breaks the CSP)
    with page.expect_download(timeout=120_000) as download:
        page.click("#report-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    report = json.loads(saved.read_text(encoding="utf-8"))
    assert saved.name.startswith("zerocarbon-carbon-report-") and saved.suffix == ".json"
    assert report["schema"] == "zerocarbon/carbon-report@1"
    assert report["energy_kwh"]["grid_import"] > 0


def test_viewer_cannot_acknowledge_or_export_in_the_browser(console_page, running_console: RunningConsole) -> None:  # type: ignore[no-untyped-def]
    page = console_page("viewer", "/alarms")
    page.wait_for_selector(".alarm-row")
    assert page.query_selector_all("button.ack") == []
    assert page.is_disabled("#shelve-button")
    page.click('#topbar a[href="/reports"]')
    page.wait_for_selector("#report-not-allowed")
    assert page.query_selector("#report-download") is None
    reply = page.request.get(f"{running_console.url}/download/report?period=this_month&format=json")
    assert reply.status == 403
