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
# Reports and Plan have no empty states of ours; Carbon's year model takes ~40 s over an empty store (planning/
# cost.py's coverage, a Python lambda per interval): its empty charts are checked in test_empty_states.py
PAGES = ["/", "/renewables", "/subsystems", "/ev", "/alarms"]


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
    app = create_app(store, site, journal, Settings(data_dir=data_dir), users=_users(data_dir))
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
