"""Console fixtures: a DuckDB store with the simulator's history, a real alarm journal with open alarms, users of every
role, and the console served by waitress on a free port (one per session: starting it costs ~1 s)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from tests.support.processes import free_port

PASSWORDS = {"admin": "admin-secret-1", "operator": "operator-secret-1", "viewer": "viewer-secret-1",
             "auditor": "auditor-secret-1"}
HISTORY_DAYS = 3
LIVE_REFRESH_MS = 2000  # faster than production's 5 s so the live-refresh test stays short

T = TypeVar("T")


def sign_in(client, name: str, password: str | None = None):  # type: ignore[no-untyped-def]
    """POST the login form with ``client`` (an httpx.Client on the console) and, like Dash's renderer, send the
    session's CSRF token (the ``_csrf_token`` cookie) in ``X-CSRFToken`` on its later requests."""
    reply = client.post("/login", data={"username": name, "password": PASSWORDS[name] if password is None
                                        else password})
    token = client.cookies.get("_csrf_token")
    if token:
        client.headers["X-CSRFToken"] = token
    return reply


@dataclass
class RunningConsole:
    url: str
    app: object
    console: object  # dashboard.context.Console
    journal: object
    data_dir: Path


def _users(data_dir: Path):  # type: ignore[no-untyped-def]
    from dashboard.auth import Role, UserBook

    book = UserBook(data_dir / "users.json")
    for name, password in PASSWORDS.items():
        book.add(name, password, Role(name))
    return book


def _journal_with_alarms(path: Path, now: datetime):  # type: ignore[no-untyped-def]
    from alerts.journal import AlarmJournal

    journal = AlarmJournal(path)
    ts = now.timestamp()
    journal.condition_raised("pv_low:pv-inv-03.W", "pv_low", "pv-inv-03.W", "high",
                             "逆变器 3 功率偏低 / PV inverter 3 low", 12.0, ts - 600)
    journal.condition_raised("comm:meter-lighting", "comm", "meter-lighting.p_kw", "critical",
                             "照明电表通讯中断 / lighting meter comm loss", None, ts - 300)
    journal.condition_raised("temp:chiller", "temp", "chiller-plant.cooling_kw", "low", "冷机出水温度偏高", 9.5,
                             ts - 120)
    return journal


@pytest.fixture(scope="session")
def console_now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="session")
def console_store(site, console_now: datetime, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three days of the simulated site's history (5-minute steps, ~0.6 M rows) in a DuckDB store."""
    from simulators.backfill import history_frame
    from storage.duckdb_store import DuckDBStore

    store = DuckDBStore(tmp_path_factory.mktemp("console-store") / "zerocarbon.duckdb", site.info.timezone)
    end = console_now + timedelta(minutes=1)
    store.write_frame(history_frame(site, end - timedelta(days=HISTORY_DAYS), end, step="5min", seed=0))
    store.update_rollups()
    yield store
    store.close()


@pytest.fixture(scope="session")
def running_console(site, console_store, console_now: datetime,  # type: ignore[no-untyped-def]
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    from dashboard.app import create_app
    from dashboard.server import ConsoleServer
    from zerocarbon.settings import Settings

    data_dir = tmp_path_factory.mktemp("console-data")
    # The console's "now" is the last second of yesterday (site time), so "today" is a whole simulated day with
    # sun, wind and battery cycles, whatever hour the tests run at.
    local_midnight = console_now.astimezone(ZoneInfo(site.info.timezone)).replace(hour=0, minute=0, second=0,
                                                                                  microsecond=0)
    console_clock = (local_midnight - timedelta(seconds=1)).astimezone(UTC)
    journal = _journal_with_alarms(data_dir / "alarms.sqlite", console_now)
    app = create_app(console_store, site, journal, Settings(data_dir=data_dir), users=_users(data_dir),
                     clock=lambda: console_clock, refresh_ms=LIVE_REFRESH_MS)
    server = ConsoleServer(app, "127.0.0.1", free_port()).start()
    yield RunningConsole(server.url, app, app.zerocarbon_console, journal, data_dir)  # type: ignore[attr-defined]
    server.stop()
    journal.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One headless Chromium for the browser tests of this package (Playwright driving Debian's chromium).
    Package scope, not session: Playwright's sync API keeps an event loop running in the main thread until it
    stops, and later in-process CLI tests (``discover`` calls ``asyncio.run``) must not find one."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} missing: install Debian's chromium (make test does this)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in_browser(browser, console: RunningConsole, name: str, viewport: dict | None = None):  # type: ignore[no-untyped-def]
    """A fresh browser context signed in as ``name``, on the Overview (Chinese, the console's default)."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000}, accept_downloads=True,
                                  locale="zh-CN")
    context.set_default_timeout(60_000)  # generous: the 2-core machine is shared with other suites
    page = context.new_page()
    page.goto(f"{console.url}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORDS[name])
    page.click("#login-button")
    page.wait_for_selector("#overview-page #kpi-consumption", timeout=60_000)
    return page


def poll(page, read: Callable[[], T], done: Callable[[T], bool], tries: int, every_ms: int) -> T:  # type: ignore[no-untyped-def]
    """``read()`` until ``done`` says so, at most ``tries`` reads ``every_ms`` apart; the last value, for the caller's
    assertion to report. Polled from Python: the console's CSP forbids the eval ``wait_for_function`` uses."""
    value = read()
    for _ in range(tries - 1):
        if done(value):
            break
        page.wait_for_timeout(every_ms)
        value = read()
    return value


def open_dropdown(page, dropdown: str, tries: int = 4):  # type: ignore[no-untyped-def]
    """Open a Dash 4 dropdown and return its popover's search box. Dash loads the dropdown's code on demand:
    under load a click can land before that code runs and open nothing, so click again until it opens."""
    for attempt in range(tries):
        page.click(dropdown)
        try:
            return page.wait_for_selector(".dash-dropdown-search", state="visible", timeout=15_000)
        except Exception:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def choose(page, dropdown: str, label: str, search: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Pick the option showing ``label`` (its options open in a popover outside the component); ``search``
    fills the popover's search box first, for lists too long to show every option."""
    box = open_dropdown(page, dropdown)
    if search is not None:
        box.fill(search)
    page.click(f".dash-dropdown-option:has-text('{label}')")


def goto(page, path: str):  # type: ignore[no-untyped-def]
    """Follow the top bar's link to ``path`` (as a user does, no reload) and wait for that page's root."""
    page.click(f'#topbar a[href="{path}"]')
    page.wait_for_selector(f"#{path.strip('/') or 'overview'}-page")
    return page


@pytest.fixture
def console_page(browser, running_console: RunningConsole) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """``console_page("operator", "/alarms", viewport=...)``: a page signed in as that role and on that page;
    its browser context is closed after the test."""
    pages: list[object] = []

    def open_page(name: str = "viewer", path: str = "/", viewport: dict | None = None):  # type: ignore[no-untyped-def]
        page = sign_in_browser(browser, running_console, name, viewport)
        pages.append(page)
        return goto(page, path) if path != "/" else page

    yield open_page
    for page in pages:
        page.context.close()  # type: ignore[attr-defined]
