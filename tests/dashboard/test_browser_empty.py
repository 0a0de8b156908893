"""A fresh install in real headless Chromium: every page over an empty store, in both languages. Each empty
chart or number says why it is empty and what to do, in the reader's language; screenshots of every page go
to tests/artifacts/ (looked at)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole, _users, goto, sign_in_browser
from tests.support.processes import free_port

pytestmark = pytest.mark.browser
# Reports and Plan have no empty states of ours (Plan's is in test_empty_states.py); Carbon has its own test below
PAGES = ["/", "/renewables", "/subsystems", "/ev", "/alarms"]
NO_TICK_MS = 3_600_000  # the live tick never comes in these tests: a first view must be right without it


@pytest.fixture(scope="module")
def empty_console(site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:  # type: ignore[no-untyped-def]
    from alerts.journal import AlarmJournal
    from dashboard.app import create_app
    from dashboard.server import ConsoleServer
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.settings import Settings

    data_dir = tmp_path_factory.mktemp("empty-console")
    store = DuckDBStore(data_dir / "zerocarbon.duckdb", site.info.timezone)
    journal = AlarmJournal(data_dir / "alarms.sqlite")
    app = create_app(store, site, journal, Settings(data_dir=data_dir), users=_users(data_dir), refresh_ms=NO_TICK_MS)
    server = ConsoleServer(app, "127.0.0.1", free_port()).start()
    yield RunningConsole(server.url, app, app.zerocarbon_console, journal, data_dir)  # type: ignore[attr-defined]
    server.stop()
    journal.close()
    store.close()


# what each page must say on a fresh install (catalog keys, with their placeholders), and a tile that must be
# blank rather than 0
EXPECTED: dict[str, tuple[list[tuple[str, dict[str, object]]], str | None]] = {
    "/": ([("overview.no_readings_today", {}), ("overview.no_live", {}), ("overview.no_energy_today", {}),
           ("overview.no_curve", {}), ("compare.no_earlier", {})], "#kpi-consumption"),
    "/renewables": ([("renewables.no_pv_readings", {}), ("renewables.no_wind_readings", {}),
                     ("renewables.no_storage_readings", {})], "#storage-charged"),
    "/subsystems": ([("subsystems.no_readings", {}), ("subsystems.pick_focus", {})], "#sub-energy-chiller_plant"),
    "/ev": ([("common.no_data", {})], "#ev-energy-kwh"),
    "/alarms": ([("alarms.no_history", {"days": 7})], None),
}


def test_every_page_of_a_fresh_install_says_why_it_is_empty_in_both_languages(
    browser, empty_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.components import wrapped
    from dashboard.i18n import t

    page = sign_in_browser(browser, empty_console, "admin")
    try:
        for lang in ("zh", "en"):
            page.click(f"#lang-{lang}")
            for path in PAGES:
                page.click(f'#topbar a[href="{path}"]') if path == "/" else goto(page, path)
                texts, blank = EXPECTED.get(path, ([], None))
                for key, values in texts:  # the first line of each (a chart's reason is wrapped over lines)
                    first_line = wrapped(t(lang, key, **values)).split("<br>")[0]  # type: ignore[arg-type]
                    page.wait_for_selector(f"text={first_line}")
                if blank:
                    assert page.inner_text(blank).strip().startswith("—"), (path, page.inner_text(blank))
                name = path.strip("/") or "overview"
                page.screenshot(path=str(artifacts_dir / f"empty-{name}-{lang}.png"), full_page=True)
    finally:
        page.context.close()


# every tile of the Carbon page that sums meter readings (the report model answers 0 over an empty store)
CARBON_METERED = ["#carbon-peak", "#carbon-peak-reduction", "#carbon-avoided-energy", "#carbon-eui-ytd", "#carbon-eui",
                  "#carbon-intensity", "#carbon-pr", "#carbon-wind-cf", "#carbon-cop", "#carbon-self-sufficiency",
                  "#carbon-self-consumption", "#carbon-on-site-share", "#carbon-total-share", "#carbon-avoided"]


def test_the_carbon_page_of_a_fresh_install_shows_dashes_with_the_reason_not_zeros_in_both_languages(
    browser, empty_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from dashboard.i18n import t

    page = sign_in_browser(browser, empty_console, "admin")
    try:
        goto(page, "/carbon")
        for lang in ("zh", "en"):
            page.click(f"#lang-{lang}")
            # the year's report model: seconds over an empty store, shared by both languages
            page.wait_for_selector(f"#carbon-body >> text={t(lang, 'carbon.ytd_fuel_only')}", timeout=180_000)
            shown = {tile: page.inner_text(tile) for tile in CARBON_METERED}
            assert set(shown.values()) == {"—"}, shown  # was 0.0 kW, 0.0 kWh/m², 0.0 tCO2e beside the warning
            why = t(lang, "carbon.no_readings_tile")  # under each of those tiles, the storage line and the YTD note
            assert page.inner_text("#carbon-body").count(why) == len(CARBON_METERED) + 2
            assert why in page.inner_text("#carbon-storage-unavailable")  # not 0 yuan saved
            page.wait_for_selector("#carbon-coverage-warning")
            page.screenshot(path=str(artifacts_dir / f"empty-carbon-{lang}.png"), full_page=True)
    finally:
        page.context.close()


def test_a_first_view_counts_an_alarm_raised_since_the_last_view_in_tile_and_badge(
    browser, empty_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    """The Overview is shared for a tick: its alarm tile came from that copy and lagged the badge by a tick."""
    import time

    from dashboard.i18n import t

    page = sign_in_browser(browser, empty_console, "operator")  # draws (and shares) the Overview with 0 alarms
    journal = empty_console.journal
    try:
        assert page.inner_text("#kpi-alarms") == "0"
        journal.condition_raised("comm:ev", "comm", "ev-platform.sessions", "high",  # type: ignore[attr-defined]
                                 "EV platform comm loss", None, time.time())
        for lang in ("en", "zh"):  # the language switch draws the page again: a first view, no tick in between
            page.click(f"#lang-{lang}")
            page.wait_for_selector(f"#overview-page >> text={t(lang, 'kpi.active_alarms')}")
            page.wait_for_selector(f"#alarm-badge >> text={t(lang, 'alarms.topbar', count=1)}")
            assert page.inner_text("#kpi-alarms") == "1"
        page.reload()
        page.wait_for_selector("#overview-page #kpi-consumption")
        assert page.inner_text("#kpi-alarms") == "1"
        page.screenshot(path=str(artifacts_dir / "first-view-alarm-count-zh.png"))
    finally:
        journal.condition_cleared("comm:ev", "back to normal", None, time.time())  # type: ignore[attr-defined]
        page.context.close()
